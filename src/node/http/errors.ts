import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isAuthError } from "../auth";
import { IdentityError } from "../store/identities";

/** Codes of the API's own refusals; auth failures keep their AuthError codes. */
export const API_ERROR_CODES = [
  /** The body is not JSON or does not have the expected fields. */
  "MALFORMED_REQUEST",
  /** A route that needs `Authorization: Bearer <token>` got none. */
  "UNAUTHORIZED",
  "NOT_FOUND",
  "IDENTITY_NOT_FOUND",
  "CHANNEL_NOT_FOUND",
  "PAYLOAD_TOO_LARGE",
  /** Anything unexpected; the details go to the log, not to the client. */
  "INTERNAL",
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Thrown by routes; `app.onError` turns it into `{ code, message }` with its status. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  code: string;
  message: string;
}

export function errorResponse(c: Context, error: ApiError): Response {
  const body: ErrorBody = { code: error.code, message: error.message };
  const headers: Record<string, string> =
    error.status === 401 ? { "WWW-Authenticate": 'Bearer realm="connext"' } : {};
  return c.json(body, error.status, headers);
}

/** The one place errors meet HTTP statuses (STYLE: map to HTTP at the edge only). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (isAuthError(error)) {
    if (error.code === "INVALID_ADDRESS" || error.code === "INVALID_NKEY") {
      return new ApiError(400, error.code, error.message);
    }
    if (error.code === "INVALID_SECRET") return undefined;
    return new ApiError(401, error.code, error.message);
  }
  if (error instanceof IdentityError && error.code === "INVALID_ADDRESS") {
    return new ApiError(400, error.code, error.message);
  }
  if (error instanceof HTTPException && error.status < 500) {
    return new ApiError(error.status as ContentfulStatusCode, "MALFORMED_REQUEST", error.message);
  }
  return undefined;
}
