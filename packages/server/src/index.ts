export { createApp, startServer, SERVER_PACKAGE_DIR, ROUTE_MODULES } from './app.js';
export type { RouteContext, RouteModule } from './routes/route-module.js';
export type { AppOptions, AppState, EvalHubApp, RunningServer, StartServerOptions } from './app.js';
export { ServerMetrics } from './metrics.js';
export { HttpError, toErrorResponse } from './http-error.js';
export type { ErrorBodyJson } from './http-error.js';
export { SERVER_ERROR_CODES } from './error-codes.js';
export { renderDocsPage } from './docs-page.js';
export { readJsonBody, locateJsonError, isJsonContentType } from './body.js';
export type { JsonSyntaxProblem } from './body.js';
export { parseListQuery } from './query.js';
export { ApiKeyAuth } from './auth.js';
export { HubClient, HubError } from './client/hub-client.js';
export type {
  HubClientOptions,
  HubErrorBody,
  EvaluationRequestBody,
  EvaluationPage,
  EvaluationListQuery,
  EvaluationDocument,
  ProviderPage,
  BenchmarkPage,
  CollectionPage,
  CollectionDocument,
  HealthAnswer,
} from './client/hub-client.js';
export { readSse } from './client/sse.js';
export type { SseMessage } from './client/sse.js';
