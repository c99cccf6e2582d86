/**
 * A tiny random-weight LLaMA model, written from scratch as a GGUF file, so tests and benchmarks run
 * real inference offline (node-llama-cpp loads it in ~15 ms; the file is ~0.5 MB).
 *
 * The file is GGUF v3, little-endian, with f32 tensors aligned to 32 bytes: 2 layers, embedding 64,
 * 4 heads (2 for keys and values), feed-forward 128, context 512, and a SentencePiece-style vocabulary
 * of `<unk>`, `<s>`, `</s>`, the 256 byte tokens, `▁` and printable ASCII.
 *
 * Schema-constrained output is always schema-valid thanks to a "bias channel": embedding dimension 0
 * is a constant for every token and no layer writes to it, so after the final norm it is large, and
 * `output.weight` gives it −100 for banned tokens. Banned are the non-ASCII bytes (random bytes make
 * invalid UTF-8, which breaks `maxLength`), `<unk>`, `<s>`, and `e`/`E` both as characters and as
 * bytes (the JSON number grammar allows exponents where an integer is due). Test schemas must still
 * bound every string and array.
 *
 * The same channel can favour characters (`favour`): under greedy decoding (temperature 0, as
 * `rllmc task run` asks) a random model tends to repeat itself inside an unbounded string or
 * array and stop at the token limit; favouring `"` ends every string as soon as the grammar
 * allows, and an order of favourites decides the other choices the grammar leaves open.
 *
 * No vitest imports: benchmarks use this module too.
 */

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Part of the cached file's name: bump it when the bytes change, so processes of two versions never swap files. */
const VERSION = "v1";
const DEFAULT_SEED = 1;

const EMBED = 64;
const FFN = 128;
const HEADS = 4;
const KV_HEADS = 2;
const LAYERS = 2;
const CONTEXT = 512;
const KV_DIM = (EMBED / HEADS) * KV_HEADS;
const ALIGNMENT = 32;
/** The value of the bias channel in every token's embedding. */
const BIAS = 8;

const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

/** GGUF metadata value types. */
const UINT32 = 4;
const INT32 = 5;
const FLOAT32 = 6;
const STRING = 8;
const ARRAY = 9;
/** The GGML tensor type of f32 data. */
const GGML_F32 = 0;

export interface TinyGgufOptions {
  /** The seed of the weights; the same options always give the same bytes. */
  readonly seed?: number;
  /** `llama.context_length`, in tokens (one per character): 512 by default. The weights do not depend on it. */
  readonly contextLength?: number;
  /**
   * Printable ASCII characters the model prefers, each with a bias in units of the bias channel
   * (a unit adds about 5.7 to the logit, where the random part spreads by about 3): at each
   * step the most favoured character the grammar allows wins. The default favours none.
   */
  readonly favour?: Readonly<Record<string, number>>;
}

/** Writes the model to `path`. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<void> {
  await writeFile(path, encodeTinyGguf(options));
}

let cached: Promise<string> | undefined;

/**
 * The path of the model with the default seed, under `rllmc-tiny-model/` in the system's temporary
 * folder (never in the checkout), written once per process. The file is written to a temporary name and renamed into place, so a
 * concurrent process never reads half a file.
 */
export function tinyModelPath(): Promise<string> {
  cached ??= (async () => {
    const dir = join(tmpdir(), "rllmc-tiny-model");
    const path = join(dir, `tiny-${VERSION}.gguf`);
    await mkdir(dir, { recursive: true });
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeTinyGguf(temporary);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return path;
  })();
  return cached;
}

interface Vocabulary {
  readonly tokens: string[];
  readonly scores: number[];
  readonly types: number[];
  /** The weight of the bias channel in the token's row of `output.weight`: BANNED, 0, or a favour. */
  readonly bias: number[];
}

const BANNED = -100;

function vocabulary(favour: Readonly<Record<string, number>>): Vocabulary {
  const vocab: Vocabulary = { tokens: [], scores: [], types: [], bias: [] };
  const add = (token: string, type: number, banned: boolean, char?: string) => {
    vocab.tokens.push(token);
    vocab.scores.push(0);
    vocab.types.push(type);
    vocab.bias.push(banned ? BANNED : char === undefined ? 0 : (favour[char] ?? 0));
  };
  add("<unk>", TOKEN_UNKNOWN, true);
  add("<s>", TOKEN_CONTROL, true);
  add("</s>", TOKEN_CONTROL, false);
  for (let byte = 0; byte < 256; byte++) {
    const char = String.fromCharCode(byte);
    add(
      `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`,
      TOKEN_BYTE,
      byte >= 0x80 || char === "e" || char === "E",
      char,
    );
  }
  add("\u2581", TOKEN_NORMAL, false);
  for (let code = 0x21; code <= 0x7e; code++) {
    const char = String.fromCharCode(code);
    add(char, TOKEN_NORMAL, char === "e" || char === "E", char);
  }
  return vocab;
}

interface Tensor {
  readonly name: string;
  /** Innermost dimension first, as GGUF stores them. */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function encodeTinyGguf(options: TinyGgufOptions): Uint8Array {
  const vocab = vocabulary(options.favour ?? {});
  const tensors = weights(vocab, normals(options.seed ?? DEFAULT_SEED));
  const out = new ByteWriter();

  const metadata: [string, (w: ByteWriter) => void][] = [
    ["general.architecture", (w) => w.typedString("llama")],
    ["llama.context_length", (w) => w.typedU32(options.contextLength ?? CONTEXT)],
    ["llama.embedding_length", (w) => w.typedU32(EMBED)],
    ["llama.block_count", (w) => w.typedU32(LAYERS)],
    ["llama.feed_forward_length", (w) => w.typedU32(FFN)],
    ["llama.attention.head_count", (w) => w.typedU32(HEADS)],
    ["llama.attention.head_count_kv", (w) => w.typedU32(KV_HEADS)],
    ["llama.attention.layer_norm_rms_epsilon", (w) => w.typedF32(1e-5)],
    ["llama.rope.dimension_count", (w) => w.typedU32(EMBED / HEADS)],
    ["tokenizer.ggml.model", (w) => w.typedString("llama")],
    ["tokenizer.ggml.tokens", (w) => w.array(STRING, vocab.tokens, (t) => w.string(t))],
    ["tokenizer.ggml.scores", (w) => w.array(FLOAT32, vocab.scores, (s) => w.f32(s))],
    ["tokenizer.ggml.token_type", (w) => w.array(INT32, vocab.types, (t) => w.i32(t))],
    ["tokenizer.ggml.bos_token_id", (w) => w.typedU32(1)],
    ["tokenizer.ggml.eos_token_id", (w) => w.typedU32(2)],
    ["tokenizer.ggml.unknown_token_id", (w) => w.typedU32(0)],
  ];

  out.bytes(Buffer.from("GGUF", "latin1"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, write] of metadata) {
    out.string(key);
    write(out);
  }

  let offset = 0;
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.shape.length);
    for (const dim of tensor.shape) out.u64(dim);
    out.u32(GGML_F32);
    out.u64(offset);
    offset = align(offset + tensor.data.byteLength);
  }

  out.pad();
  for (const tensor of tensors) {
    out.f32s(tensor.data);
    out.pad();
  }
  return out.finish();
}

/** All tensors, drawing from `normal` in a fixed order. */
function weights(vocab: Vocabulary, normal: () => number): Tensor[] {
  const nVocab = vocab.tokens.length;
  const random = (shape: readonly number[], std: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    return data;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);

  // Row t of token_embd and output.weight (EMBED floats each) belongs to token t; element 0 is the bias channel.
  const embedding = random([EMBED, nVocab], 1);
  const output = random([EMBED, nVocab], 0.5);
  for (let token = 0; token < nVocab; token++) {
    embedding[token * EMBED] = BIAS;
    output[token * EMBED] = vocab.bias[token] as number;
  }

  const tensors: Tensor[] = [
    { name: "token_embd.weight", shape: [EMBED, nVocab], data: embedding },
    { name: "output_norm.weight", shape: [EMBED], data: ones(EMBED) },
    { name: "output.weight", shape: [EMBED, nVocab], data: output },
  ];
  for (let i = 0; i < LAYERS; i++) {
    const layer = (name: string, shape: readonly number[], data: Float32Array) =>
      tensors.push({ name: `blk.${i}.${name}.weight`, shape, data });
    // Row 0 of attn_output and ffn_down (their first ne0 floats) writes to the bias channel: zero it.
    const attnOutput = random([EMBED, EMBED], 0.02);
    attnOutput.fill(0, 0, EMBED);
    const ffnDown = random([FFN, EMBED], 0.02);
    ffnDown.fill(0, 0, FFN);
    layer("attn_norm", [EMBED], ones(EMBED));
    layer("attn_q", [EMBED, EMBED], random([EMBED, EMBED], 0.02));
    layer("attn_k", [EMBED, KV_DIM], random([EMBED, KV_DIM], 0.02));
    layer("attn_v", [EMBED, KV_DIM], random([EMBED, KV_DIM], 0.02));
    layer("attn_output", [EMBED, EMBED], attnOutput);
    layer("ffn_norm", [EMBED], ones(EMBED));
    layer("ffn_gate", [EMBED, FFN], random([EMBED, FFN], 0.02));
    layer("ffn_up", [EMBED, FFN], random([EMBED, FFN], 0.02));
    layer("ffn_down", [FFN, EMBED], ffnDown);
  }
  return tensors;
}

/** Standard normal numbers from a seeded mulberry32 generator, by Box-Muller. */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

/** Little-endian GGUF encoding into a list of chunks. */
class ByteWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  bytes(data: Uint8Array): void {
    this.chunks.push(data);
    this.length += data.byteLength;
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.bytes(b);
  }

  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.bytes(b);
  }

  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.bytes(b);
  }

  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.bytes(b);
  }

  f32s(data: Float32Array): void {
    const b = Buffer.alloc(data.byteLength);
    for (let i = 0; i < data.length; i++) b.writeFloatLE(data[i]!, i * 4);
    this.bytes(b);
  }

  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.byteLength);
    this.bytes(b);
  }

  typedU32(n: number): void {
    this.u32(UINT32);
    this.u32(n);
  }

  typedF32(n: number): void {
    this.u32(FLOAT32);
    this.f32(n);
  }

  typedString(s: string): void {
    this.u32(STRING);
    this.string(s);
  }

  array<T>(type: number, items: readonly T[], write: (item: T) => void): void {
    this.u32(ARRAY);
    this.u32(type);
    this.u64(items.length);
    for (const item of items) write(item);
  }

  /** Zero bytes up to the next multiple of the alignment. */
  pad(): void {
    const padding = align(this.length) - this.length;
    if (padding > 0) this.bytes(new Uint8Array(padding));
  }

  finish(): Uint8Array {
    return Buffer.concat(this.chunks, this.length);
  }
}
