/** Type declarations for what the tests use of packages without published types for it. */

/** oidc-provider's request storage (`Provider.ctx` reads it), to run adapter calls as within a request. */
declare module 'oidc-provider/lib/helpers/als.js' {
  const als: import('node:async_hooks').AsyncLocalStorage<unknown>;
  export default als;
}
