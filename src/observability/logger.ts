/**
 * Structured JSON logs. Anything that could carry a secret is redacted by path, and the GraphQL
 * layer never logs variables or documents' literal values: only operation names, codes and timings.
 */
import pino, { type Logger } from "pino";

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "printmesh-center" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "key",
        "*.key",
        "apiKey",
        "*.apiKey",
        "authorization",
        "*.authorization",
        "headers.authorization",
        "*.headers.authorization",
        "connectionParams",
        "variables",
      ],
      censor: "[redacted]",
    },
  });
}
