// Lint for src/, test/, bench/ and the config files: typescript-eslint's recommended rules, type-aware where the type
// information catches real faults (a promise nobody awaits), plus a few rules the project relies
// on. Formatting is Prettier's job: eslint-config-prettier turns off every rule it would fight.
import js from "@eslint/js";
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
);
