// Lint for src/, test/, bench/ and the config files: typescript-eslint's recommended rules, type-aware where the type
// information catches real faults (a promise nobody awaits), plus a few rules the project relies
// on. Formatting is Prettier's job: eslint-config-prettier turns off every rule it would fight.
// The generated schema.graphql is linted too, with @graphql-eslint's schema rules (last block).
import js from "@eslint/js";
import graphql from "@graphql-eslint/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "data/", "fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: {
        // Test files are outside tsconfig.json (ts-jest compiles them); this one covers them too.
        project: "./tsconfig.eslint.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its error and races the code after it.
      "@typescript-eslint/no-floating-promises": "error",
      // A promise passed where a callback's result is ignored (an async listener) fails silently.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      eqeqeq: ["error", "always", { null: "ignore" }],
      // `any` is sometimes the honest type at a library's edge; flagged for review, not refused.
      "@typescript-eslint/no-explicit-any": "warn",
    },
  },
  {
    // No source file over 600 lines: a longer file is more than one thing and should be split.
    files: ["src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 600, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    // The few plain CommonJS files (jest's global setup, helper processes, scripts).
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        exports: "writable",
        process: "readonly",
        __dirname: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
  {
    // The public schema as frontends see it (`npm run schema:emit` writes it from the code). Each rule
    // kept says why; the rules left off say why too, so nobody turns them on by accident.
    files: ["schema.graphql"],
    languageOptions: { parser: graphql.parser, parserOptions: { graphQLConfig: { schema: "./schema.graphql" } } },
    plugins: { "@graphql-eslint": graphql },
    rules: {
      // The SDL is valid: known types, directives and arguments, one schema definition (graphql-js's own checks).
      "@graphql-eslint/known-argument-names": "error",
      "@graphql-eslint/known-directives": "error",
      "@graphql-eslint/known-type-names": "error",
      "@graphql-eslint/lone-schema-definition": "error",
      "@graphql-eslint/possible-type-extension": "error",
      "@graphql-eslint/provided-required-arguments": "error",
      "@graphql-eslint/unique-directive-names": "error",
      "@graphql-eslint/unique-directive-names-per-location": "error",
      "@graphql-eslint/unique-field-definition-names": "error",
      "@graphql-eslint/unique-operation-types": "error",
      "@graphql-eslint/unique-type-names": "error",
      // The schema documents itself: frontend developers read the IDE's docs and generated clients' comments.
      "@graphql-eslint/require-description": [
        "error",
        { types: true, rootField: true, FieldDefinition: true, InputValueDefinition: true, EnumValueDefinition: true, DirectiveDefinition: true },
      ],
      // Block descriptions ("""), one style everywhere; a # comment is not a description and reaches no client.
      "@graphql-eslint/description-style": ["error", { style: "block" }],
      "@graphql-eslint/no-hashtag-description": "error",
      // One naming convention, so clients' generated code reads the same everywhere (PascalCase types,
      // camelCase fields and arguments, UPPER_CASE enum values, no getX / xQuery / XEnum / XType).
      "@graphql-eslint/naming-convention": graphql.configs["flat/schema-recommended"].rules["@graphql-eslint/naming-convention"],
      // An enum value's name alone says what it is, across enums (codegen may flatten them).
      "@graphql-eslint/unique-enum-value-names": "error",
      // A type nothing reaches is dead API: it confuses readers and generated clients.
      "@graphql-eslint/no-unreachable-types": "error",
      // Deprecations say what to use instead.
      "@graphql-eslint/require-deprecation-reason": "error",
      // A mutation answers a payload (result and errors), never a bare scalar.
      "@graphql-eslint/no-scalar-result-type-on-mutation": "error",
      // Connections follow the Relay specification, so Relay, Apollo and urql paginate them unaided.
      "@graphql-eslint/relay-connection-types": "error",
      // Edges are named XEdge with a node and a cursor; plain short lists stay lists (bounded, not paginated).
      "@graphql-eslint/relay-edge-types": ["error", { withEdgeSuffix: true, shouldImplementNode: false, listTypeCanWrapOnlyEdgeType: false }],
      // Connections take first/after; backward paging (last/before) is not offered.
      "@graphql-eslint/relay-arguments": ["error", { includeBoth: false }],
      // Off: PageInfo is forward-only (hasNextPage, endCursor), as the contract defines it.
      "@graphql-eslint/relay-page-info": "off",
      // Off: the contract names references by the type they point to (Shop.shopGroupId), which this rule refuses.
      "@graphql-eslint/no-typename-prefix": "off",
      // Off: payloads, quotes and price lines are values without an identity of their own.
      "@graphql-eslint/strict-id-in-types": "off",
      // Off: the contract's argument names (orderId, jobId, ...) are kept, not renamed to one `input`.
      "@graphql-eslint/input-name": "off",
      // Off: payloads are non-null by contract; a failure is in their errors, not a null result.
      "@graphql-eslint/require-nullable-result-in-root": "off",
    },
  },
);
