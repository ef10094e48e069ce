export { createApi, MAX_BODY_BYTES } from "./api";
export { API_ERROR_CODES, type ApiErrorCode, type ErrorBody } from "./errors";
export {
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
  type WebSocketRoute,
} from "./server";
export type { ApiDeps, ApiEnv, HealthReport, NodePublicConfig } from "./types";
