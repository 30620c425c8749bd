/**
 * The fixture model's chat template, as a Jinja string (served in `/tokenizer_info` for clients
 * that render it themselves) and as the equivalent TypeScript function used by the server.
 */

export const CHAT_TEMPLATE =
  "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}" +
  '{% if add_generation_prompt %}<|assistant|>\n{% endif %}';

export interface TemplateMessage {
  role: string;
  content: string;
}

/** Text content of an OpenAI message `content` (string, null, or list of content parts). */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

export function applyChatTemplate(messages: readonly TemplateMessage[], addGenerationPrompt = true): string {
  let out = '';
  for (const m of messages) out += `<|${m.role}|>\n${m.content}\n`;
  if (addGenerationPrompt) out += '<|assistant|>\n';
  return out;
}
