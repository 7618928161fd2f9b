/**
 * What a client sees of an error (makeFormatError): coded errors as they are, input faults by
 * field, a request refused with a 4xx status as BAD_REQUEST, anything else masked and logged.
 */
import { Writable } from "node:stream";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import pino from "pino";
import { makeFormatError } from "../../src/graphql/errors-format";

function harness() {
  const logs: Array<{ msg: string; err?: { message?: string } }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  return { logs, format: makeFormatError(pino({ level: "info" }, sink)) };
}

/** As Apollo hands an error over: formatted, with the code it defaults to when none was given. */
function formattedOf(error: GraphQLError): GraphQLFormattedError {
  const json = error.toJSON();
  const { http: _http, ...extensions } = json.extensions ?? {};
  return { ...json, extensions: { code: "INTERNAL_SERVER_ERROR", ...extensions, stacktrace: ["at somewhere"] } };
}

describe("makeFormatError", () => {
  it("masks an unexpected error and logs what it was", () => {
    const { logs, format } = harness();
    const error = new GraphQLError("connection refused to 10.0.0.5", { path: ["quote"], originalError: new Error("connection refused to 10.0.0.5") });
    expect(format(formattedOf(error), error)).toEqual({ message: "Internal server error", path: ["quote"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(logs).toHaveLength(1);
    expect(logs[0].msg).toBe("unexpected error in a GraphQL operation");
    expect(logs[0].err?.message).toBe("connection refused to 10.0.0.5");
  });

  it("passes a coded error through without its stack trace", () => {
    const { logs, format } = harness();
    const error = new GraphQLError("Not allowed", { extensions: { code: "FORBIDDEN" } });
    expect(format(formattedOf(error), error)).toEqual({ message: "Not allowed", extensions: { code: "FORBIDDEN" } });
    expect(logs).toEqual([]);
  });

  it("says BAD_REQUEST, with the message, for a request refused with a 4xx status and no code", () => {
    const { logs, format } = harness();
    const error = new GraphQLError("provided sha does not match query", { extensions: { http: { status: 400, headers: new Map() } } });
    expect(format(formattedOf(error), error)).toEqual({ message: "provided sha does not match query", extensions: { code: "BAD_REQUEST" } });
    expect(logs).toEqual([]);
  });

  it("still masks an error raised with a 5xx status and no code", () => {
    const { logs, format } = harness();
    const error = new GraphQLError("upstream said no", { extensions: { http: { status: 503, headers: new Map() } } });
    expect(format(formattedOf(error), error).extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(logs).toHaveLength(1);
  });

  it("names each field of an input that failed validation", () => {
    const { format } = harness();
    const validationErrors = [{ property: "name", constraints: { maxLength: "name must be shorter than or equal to 200 characters" }, children: [] }];
    const error = new GraphQLError("Argument Validation Error", { extensions: { code: "BAD_USER_INPUT", validationErrors } });
    expect(format(formattedOf(error), error)).toEqual({
      message: "Invalid input: name: name must be shorter than or equal to 200 characters",
      extensions: { code: "BAD_USER_INPUT", fields: [{ field: ["name"], message: "name must be shorter than or equal to 200 characters" }] },
    });
  });

  it("hides every kind of suggestion when suggestions are off, and keeps them otherwise", () => {
    const message =
      'Variable "$input" got invalid value "CENTER_ADMN" at "input.role"; Value "CENTER_ADMN" does not exist in "Role" enum. Did you mean the enum value "CENTER_ADMIN"?';
    const error = new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
    const off = makeFormatError(pino({ level: "silent" }), { suggestions: false });
    expect(off(formattedOf(error), error).message).toBe(
      'Variable "$input" got invalid value "CENTER_ADMN" at "input.role"; Value "CENTER_ADMN" does not exist in "Role" enum. [Suggestion hidden]',
    );
    const field = new GraphQLError('Cannot query field "mee" on type "Query". Did you mean "me"?', { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
    expect(off(formattedOf(field), field).message).toBe('Cannot query field "mee" on type "Query". [Suggestion hidden]');
    expect(harness().format(formattedOf(error), error).message).toBe(message);
  });
});
