// Fake LLM providers (Anthropic, OpenAI-compatible, Ollama wire formats) in their own process, driven over
// /_control/<id> by bench/ai-router.bench.ts. Run from source through tsx by the harness.
import { startFakeLlmServer } from '../../packages/ai-router/src/_testing/fake-llm-server.js';

const fake = await startFakeLlmServer({ control: true });
process.stdout.write(`listening on ${fake.url}\n`);
const stop = () => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
