/**
 * Chat templates: the ChatML template longrl's presets ship (Qwen style), and rendering
 * of any Hugging Face `chat_template` with @huggingface/jinja the way transformers'
 * `apply_chat_template(messages, tokenize=False, add_generation_prompt=...)` does
 * (ecosystem §2: the special tokens of the tokenizer are passed as variables,
 * `enable_thinking` only when the caller sets it).
 */
import { Template } from '@huggingface/jinja';
import { UserError } from '../util/errors.ts';

/**
 * ChatML, as Qwen2.5/Qwen3 render plain conversations (no tools):
 * `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`
 * for the generation prompt; `enable_thinking=false` appends an empty think block and
 * assistant turns before the last user turn lose their `<think>…</think>` part, as in
 * Qwen3's template. Written with `{%-`/`-%}` so it renders the same with or without
 * Jinja2's trim_blocks/lstrip_blocks.
 */
export const CHATML_TEMPLATE = [
  "{%- set ns = namespace(last_user=-1) %}",
  "{%- for message in messages %}",
  "    {%- if message.role == 'user' %}",
  "        {%- set ns.last_user = loop.index0 %}",
  "    {%- endif %}",
  "{%- endfor %}",
  "{%- for message in messages %}",
  "    {%- set content = message.content if message.content is string else '' %}",
  "    {%- if message.role == 'assistant' and loop.index0 < ns.last_user and '</think>' in content %}",
  "        {%- set content = content.split('</think>')[-1].lstrip('\\n') %}",
  "    {%- endif %}",
  "    {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>\\n' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}",
  "    {{- '<|im_start|>assistant\\n' }}",
  "    {%- if enable_thinking is defined and enable_thinking is false %}",
  "        {{- '<think>\\n\\n</think>\\n\\n' }}",
  "    {%- endif %}",
  "{%- endif %}",
  '',
].join('\n');

export interface ChatMessage {
  role: string;
  content: string;
}

export interface RenderOptions {
  addGenerationPrompt?: boolean;
  enableThinking?: boolean;
  /** Special-token variables (`bos_token`, `eos_token`, `pad_token`, ...); null values are left out. */
  specialTokens?: Record<string, string | null | undefined>;
}

/** A compiled chat template; `source` names where it came from in errors. */
export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly text: string, readonly source: string) {
    try {
      this.template = new Template(text);
    } catch (err) {
      throw new UserError(`${source}: chat_template does not parse: ${(err as Error).message}`);
    }
  }

  render(messages: ChatMessage[], opts: RenderOptions = {}): string {
    const vars: Record<string, unknown> = {
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
    };
    for (const [k, v] of Object.entries(opts.specialTokens ?? {})) if (typeof v === 'string') vars[k] = v;
    if (opts.enableThinking !== undefined) vars['enable_thinking'] = opts.enableThinking;
    try {
      return this.template.render(vars);
    } catch (err) {
      throw new UserError(`${this.source}: rendering the chat template failed: ${(err as Error).message}`);
    }
  }
}

/**
 * Picks the template text from a `tokenizer_config.json` `chat_template` value: a string,
 * or a list of `{name, template}` (transformers then uses the one named "default").
 */
export function pickChatTemplate(value: unknown, source: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const def = named.find((t) => t && t.name === 'default') ?? (named.length === 1 ? named[0] : undefined);
    if (def && typeof def.template === 'string') return def.template;
    throw new UserError(`${source}: field "chat_template" is a list without a template named "default"`);
  }
  throw new UserError(`${source}: field "chat_template" must be a string or a list of {name, template}`);
}
