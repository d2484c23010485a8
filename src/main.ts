/** `npm start`: run the server until SIGTERM/SIGINT, then shut down gracefully. */
import { loadConfig } from './config.js';
import { AppError } from './errors.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(err instanceof AppError ? err.detail ?? err.message : err);
    process.exit(78);
  }
  const running = await startServer(config);
  const shutdown = (signal: string) => {
    running.log.info({ signal }, 'shutting down');
    running
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        running.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('Start-up failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
