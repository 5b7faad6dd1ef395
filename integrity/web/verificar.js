// Browser verifier for PERÚ COMPRAS open data: the same four checks as the `verificar` CLI.
// Static, same-origin with index.json and trust.json; talks to the chain with plain JSON-RPC.
"use strict";

(() => {
  const CHECKS = ["integrity", "inclusion", "anchor", "publisher"];
  const ANVIL_CHAIN_ID = 31337;
  const LATEST_ENTRY_SELECTOR = "10f29447"; // keccak256("latest_entry(bytes32,uint32)")[0:4]
  const GET_ENTRY_SELECTOR = "09297c7a"; // keccak256("get_entry(bytes32,uint64)")[0:4]
  const PUBLISHER_SELECTOR = "8c72c54e"; // keccak256("publisher()")[0:4]
  const KIND_KEYS = { 1: "anchor.kind_first", 2: "anchor.kind_late", 3: "anchor.kind_correction" };
  const MAX_SUPERSEDED_READS = 32;
  const CHUNK = 4 << 20;
  const MAX_PROOF_FILE = 64 << 20;
  const MAX_PROOFS = 10000;
  const MAX_EXPLAIN = 64 << 20;
  const MAX_NOTES = 8;
  const ZERO32 = "0".repeat(64);
  const FILE_NAME = /^([a-z0-9-]+?)-(\d{4}-\d{2}-\d{2})-([A-Za-z0-9_.]+)$/;
  const MANIFEST_NAME = /^([a-z0-9-]+?)-(\d{4}-\d{2}-\d{2})-manifest\.json$/;
  const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
  const MAX_SMALL_FILE = 16 << 20;
  const MAX_RECEIPT = 64 << 10;
  // The registry accepts real dates in these years; Lima has no daylight saving time.
  const REGISTRY_FIRST_DAY = "2000-01-01";
  const REGISTRY_LAST_DAY = "2199-12-31";
  const LIMA_OFFSET_MS = -5 * 3600 * 1000;
  const MANIFEST_SCHEMA = "perucompras-abierto/manifest/1";
  const MERKLE_ALGORITHM = "RFC9162-SHA256";

  // Files up to this size are hashed in one WebCrypto call (the whole file in memory);
  // larger files, and every Merkle leaf, go through the incremental SHA-256 below.
  const options = { streamThreshold: 256 * 1024 * 1024 };

  // ------------------------------------------------------------------ texts

  const CATALOGUE = window.VERIFICAR_MESSAGES || { checks: {}, statuses: {}, messages: {} };
  let lang = "es";

  // Every text comes from the message catalogue (messages/verify.py, generated into
  // verificar-mensajes.js); "page.<key>" is the page's own wording of message <key>.
  function template(key, language) {
    const entry = CATALOGUE.messages["page." + key] || CATALOGUE.messages[key];
    return entry ? entry[language] || entry.es : key;
  }

  function format(text, params) {
    return text.replace(/\{\{|\}\}|\{(\w+)\}/g, (match, name) => {
      if (match === "{{") return "{";
      if (match === "}}") return "}";
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match;
    });
  }

  function checkName(name, language = lang) {
    const entry = CATALOGUE.checks[name];
    return entry ? entry[language] : name;
  }

  function statusName(status, language = lang) {
    const entry = CATALOGUE.statuses[status];
    return entry ? entry[language] : status;
  }

  function text(key, params = {}, language = lang) {
    let values = params;
    if (key.startsWith("verdict.") && typeof params.checks === "string") {
      const names = params.checks.split(", ").map((name) => checkName(name, language));
      values = { ...params, checks: names.join(", ") };
    }
    return format(template(key, language), values);
  }

  // ------------------------------------------------------------------ SHA-256

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const H0 = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ];

  /** Incremental SHA-256 (FIPS 180-4): WebCrypto has no streaming digest. */
  class Sha256 {
    constructor() {
      this.state = new Int32Array(8);
      this.block = new Uint8Array(64);
      this.words = new Int32Array(64);
      this.reset();
    }

    reset() {
      this.state.set(H0);
      this.blockLength = 0;
      this.length = 0;
      return this;
    }

    update(data) {
      let position = 0;
      const size = data.length;
      this.length += size;
      if (this.blockLength > 0) {
        const take = Math.min(64 - this.blockLength, size);
        this.block.set(data.subarray(0, take), this.blockLength);
        this.blockLength += take;
        position = take;
        if (this.blockLength === 64) {
          this.compress(this.block, 0);
          this.blockLength = 0;
        }
      }
      while (position + 64 <= size) {
        this.compress(data, position);
        position += 64;
      }
      if (position < size) {
        this.block.set(data.subarray(position), 0);
        this.blockLength = size - position;
      }
      return this;
    }

    compress(data, offset) {
      const w = this.words;
      for (let i = 0; i < 16; i++) {
        const j = offset + 4 * i;
        w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
      }
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15];
        const y = w[i - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      const s = this.state;
      let a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0;
        d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
    }

    digest() {
      const bits = this.length * 8;
      const block = this.block;
      block[this.blockLength++] = 0x80;
      if (this.blockLength > 56) {
        block.fill(0, this.blockLength);
        this.compress(block, 0);
        this.blockLength = 0;
      }
      block.fill(0, this.blockLength);
      const high = Math.floor(bits / 0x100000000);
      const low = bits >>> 0;
      for (let i = 0; i < 4; i++) {
        block[56 + i] = (high >>> (24 - 8 * i)) & 0xff;
        block[60 + i] = (low >>> (24 - 8 * i)) & 0xff;
      }
      this.compress(block, 0);
      const out = new Uint8Array(32);
      for (let i = 0; i < 8; i++) {
        const v = this.state[i];
        out[4 * i] = v >>> 24;
        out[4 * i + 1] = v >>> 16;
        out[4 * i + 2] = v >>> 8;
        out[4 * i + 3] = v;
      }
      this.reset();
      return out;
    }
  }

  const encoder = new TextEncoder();
  const scratch = new Sha256();
  const LEAF_PREFIX = new Uint8Array([0]);
  const NODE_PREFIX = new Uint8Array([1]);

  function sha256(bytes) {
    return scratch.reset().update(bytes).digest();
  }

  function leafHash(line) {
    return scratch.reset().update(LEAF_PREFIX).update(line).digest();
  }

  function nodeHash(left, right) {
    return scratch.reset().update(NODE_PREFIX).update(left).update(right).digest();
  }

  function toHex(bytes) {
    let out = "";
    for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
    return out;
  }

  function fromHex(hex) {
    const clean = String(hex).toLowerCase().replace(/^0x/, "");
    if (!/^([0-9a-f]{2})*$/.test(clean)) throw new Error(`not hex: ${hex}`);
    const out = new Uint8Array(clean.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(2 * i, 2), 16);
    return out;
  }

  function hex32(value) {
    return value === undefined || value === null ? null : String(value).toLowerCase().replace(/^0x/, "");
  }

  async function sha256Hex(bytes) {
    if (window.crypto && window.crypto.subtle) {
      return toHex(new Uint8Array(await window.crypto.subtle.digest("SHA-256", bytes)));
    }
    return toHex(sha256(bytes));
  }

  // ------------------------------------------------------------------ Merkle (RFC 9162)

  /** Streaming RFC 9162 root: a stack of perfect subtrees, folded right to left at the end. */
  class StreamingRoot {
    constructor() {
      this.stack = [];
      this.count = 0;
    }

    push(hashedLeaf) {
      let height = 0;
      let node = hashedLeaf;
      while (this.stack.length && this.stack[this.stack.length - 1][0] === height) {
        node = nodeHash(this.stack.pop()[1], node);
        height += 1;
      }
      this.stack.push([height, node]);
      this.count += 1;
    }

    root() {
      if (!this.stack.length) return sha256(new Uint8Array(0));
      let node = this.stack[this.stack.length - 1][1];
      for (let i = this.stack.length - 2; i >= 0; i--) node = nodeHash(this.stack[i][1], node);
      return node;
    }
  }

  /** RFC 9162 §2.1.3.2 with the tree size of the anchored manifest. */
  function verifyInclusion(line, leafIndex, treeSize, path, rootHex) {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) return false;
    let fn = leafIndex;
    let sn = treeSize - 1;
    let r = leafHash(line);
    for (const p of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && toHex(r) === rootHex;
  }

  // ------------------------------------------------------------------ canonical JSON (RFC 8785)

  function canonicalJson(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") {
      return JSON.stringify(value);
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new Error("non-finite number");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (typeof value === "object") {
      const keys = Object.keys(value).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
    }
    throw new Error(`unsupported value ${typeof value}`);
  }

  // ------------------------------------------------------------------ results

  class Check {
    constructor(name) {
      this.name = name;
      this.status = "ok";
      this.skipReason = null;
      this.notes = [];
    }

    ok(key, params = {}) {
      this.notes.push({ key, params, failed: false });
    }

    fail(key, params = {}) {
      this.notes.push({ key, params, failed: true });
      this.status = "fail";
    }

    skip(reason, key, params = {}) {
      this.notes.push({ key, params, failed: false });
      if (this.status !== "fail") {
        this.status = "skipped";
        if (this.skipReason !== "unavailable") this.skipReason = reason;
      }
    }
  }

  class Result {
    constructor(target) {
      this.target = target;
      this.header = null;
      this.checks = Object.fromEntries(CHECKS.map((name) => [name, new Check(name)]));
      this.manualCall = null;
      this.devChain = false;
      this.info = [];
      this.items = [];
      this.pin = null;
    }

    allChecks() {
      return [...Object.values(this.checks), ...this.items.flatMap((item) => item.allChecks())];
    }

    get failedChecks() {
      const failed = new Set(this.allChecks().filter((c) => c.status === "fail").map((c) => c.name));
      return CHECKS.filter((name) => failed.has(name));
    }

    get unavailableChecks() {
      const names = new Set(
        this.allChecks().filter((c) => c.status === "skipped" && c.skipReason === "unavailable").map((c) => c.name),
      );
      return CHECKS.filter((name) => names.has(name));
    }

    /** Integrity, anchor and publisher checked and passed (inclusion passed or not applicable). */
    get fullyChecked() {
      return this.allChecks().every(
        (c) => c.status === "ok"
          || ((c.name === "integrity" || c.name === "inclusion") && c.status === "skipped"
            && c.skipReason === "not_applicable" && c.notes.length > 0),
      );
    }

    get exitCode() {
      if (this.failedChecks.length) return 1;
      if (this.unavailableChecks.length) return 2;
      return this.fullyChecked ? 0 : 3;
    }

    get verdict() {
      const code = this.exitCode;
      if (code === 1) return { key: "verdict.failed", params: { checks: this.failedChecks.join(", ") } };
      if (code === 2) return { key: "verdict.incomplete", params: { checks: this.unavailableChecks.join(", ") } };
      if (code === 3) return { key: "verdict.verified_offline", params: {} };
      return { key: "verdict.verified", params: {} };
    }

    skipRest(done) {
      for (const name of CHECKS) {
        const check = this.checks[name];
        if (name !== done && check.status === "ok" && !check.notes.length) {
          check.status = "skipped";
          check.skipReason = "not_applicable";
        }
      }
    }

    toJSON() {
      return {
        target: this.target,
        exitCode: this.exitCode,
        verdict: this.verdict,
        checks: Object.fromEntries(
          CHECKS.map((name) => [name, { status: this.checks[name].status, skipReason: this.checks[name].skipReason, messages: this.checks[name].notes }]),
        ),
      };
    }
  }

  function detail(error) {
    return String((error && error.message) || error).slice(0, 300);
  }

  // ------------------------------------------------------------------ names, days and bounds

  function plainName(name) {
    return typeof name === "string" && name.length > 0 && name.length <= 255 && name !== "." && name !== ".."
      && !/[\/\\\u0000-\u001f\u007f]/.test(name);
  }

  function plainFolder(folder) {
    return typeof folder === "string" && folder.replace(/^\/+|\/+$/g, "").split("/").every(plainName);
  }

  function calendarDay(value) {
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
    const [y, m, d] = value.split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }

  function todayInLima() {
    return new Date(Date.now() + LIMA_OFFSET_MS).toISOString().slice(0, 10);
  }

  /** Why no registry can hold ``day`` (null if it could have been published). */
  function impossibleDay(day) {
    if (day < REGISTRY_FIRST_DAY || day > REGISTRY_LAST_DAY) {
      return ["day.outside_registry", { date: day, first: REGISTRY_FIRST_DAY, last: REGISTRY_LAST_DAY }];
    }
    const today = todayInLima();
    if (day >= today) return ["day.not_over", { date: day, today }];
    return null;
  }

  function shown(value, limit = 60) {
    if (value === MISSING) return "—";
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > limit ? `${text.slice(0, limit)}…` : text;
  }

  // ------------------------------------------------------------------ trust pin and datasets root

  const site = { index: null, trust: undefined, manifests: new Map(), pin: undefined };

  /** The pin embedded when the page was built (never read from the site's data). */
  function embeddedPin() {
    if (site.pin === undefined) {
      site.pin = null;
      const node = document.getElementById("pin-confianza");
      if (node) {
        try {
          const data = JSON.parse(node.textContent);
          const rpc = (data.network.rpc || []).filter((url) => /^https?:\/\//.test(url));
          site.pin = {
            chainId: Number(data.network.chainId), contract: data.registry.address, publisher: data.publisher,
            dataset: data.dataset || null, rpc, name: data.name, kind: data.kind,
            finality: data.network.finality || {}, source: "page", origin: "verificar.html",
            compare: node.getAttribute("data-compare"),
          };
        } catch (error) {
          site.pin = { invalid: true };
        }
      }
    }
    return site.pin && !site.pin.invalid ? site.pin : null;
  }

  async function fetchBytes(path, limit = 16 << 20) {
    const response = await fetch(path, { cache: "no-store" });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const length = Number(response.headers.get("content-length") || 0);
    if (length > limit) throw new Error(`${path}: larger than ${limit} bytes`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > limit) throw new Error(`${path}: larger than ${limit} bytes`);
    return bytes;
  }

  async function loadIndex() {
    if (site.index === null) {
      const raw = await fetchBytes("index.json");
      if (raw === null) throw new Error("index.json: 404");
      const data = JSON.parse(new TextDecoder().decode(raw));
      const entries = Array.isArray(data) ? data : data.days || [];
      const days = entries.filter(
        (e) => e && calendarDay(e.date) && plainFolder(e.folder) && (e.manifest === undefined || plainName(e.manifest)),
      );
      site.index = { dataset: Array.isArray(data) ? null : data.dataset, days };
    }
    return site.index;
  }

  /** The site's trust.json: a copy that came with the data, only compared with the embedded pin. */
  async function loadTrust() {
    if (site.trust === undefined) {
      const raw = await fetchBytes("trust.json", 64 << 10);
      site.trust = raw === null ? null : parseTrust(JSON.parse(new TextDecoder().decode(raw)));
    }
    return site.trust;
  }

  function parseTrust(data) {
    if (data && data.format === "perucompras-trust-pin/1") {
      return {
        chainId: Number(data.network.chainId), contract: data.registry.address, publisher: data.publisher,
        dataset: data.dataset || null, rpc: [], source: "data", origin: "trust.json", finality: data.network.finality || {},
      };
    }
    const chainId = data.chainId ?? data.chain_id;
    const contract = data.contract ?? data.contractAddress;
    const publisher = data.publisher ?? data.publisherAddress;
    if (chainId === undefined || !contract || !publisher) {
      throw new Error("trust.json: chainId, contract and publisher are required");
    }
    return { chainId: Number(chainId), contract, publisher, dataset: data.dataset || null, rpc: [], source: "data", origin: "trust.json", finality: {} };
  }

  /** The pin a verification believes: only the one embedded when the page was built. The
   * site's trust.json is a copy that came with the data: compared with the pin (another chain,
   * registry or publisher is FALLA, "publicador distinto del oficial"), never believed. */
  async function trustFor(result) {
    const pin = embeddedPin();
    if (!pin) return null;
    let copy = null;
    try {
      copy = await loadTrust();
    } catch (error) {
      result.checks.publisher.fail("publisher.trust_invalid", { trust: "trust.json", detail: detail(error) });
      return pin;
    }
    if (copy) {
      const fields = [["chainId", copy.chainId, pin.chainId], ["contract", copy.contract, pin.contract], ["publisher", copy.publisher, pin.publisher]];
      const differing = fields.find(([, actual, expected]) => String(actual).toLowerCase() !== String(expected).toLowerCase());
      if (differing) {
        result.checks.publisher.fail("publisher.data_pin_differs", {
          source: "trust.json", field: differing[0], actual: shown(differing[1], 80), expected: differing[2], trust: pin.name || "verificar.html",
        });
      }
    }
    return pin;
  }

  function indexEntry(index, day) {
    return index.days.find((entry) => entry.date === day) || null;
  }

  async function loadManifest(entry) {
    const path = `${entry.folder}/${entry.manifest}`;
    if (!site.manifests.has(path)) {
      const raw = await fetchBytes(path);
      site.manifests.set(path, raw === null ? null : await parseManifest(raw, entry.manifest));
    }
    return site.manifests.get(path);
  }

  async function parseManifest(raw, origin) {
    let data;
    try {
      data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch (error) {
      throw new Error(`${origin}: not valid JSON`);
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error(`${origin}: expected a JSON object`);
    const missing = ["schema", "dataset", "date", "merkle", "files", "previous", "anchorKey"].filter((k) => !(k in data));
    if (missing.length) throw new Error(`${origin}: missing ${missing.join(", ")}`);
    if (data.schema !== MANIFEST_SCHEMA) throw new Error(`${origin}: unknown manifest schema`);
    if (!data.merkle || data.merkle.algorithm !== MERKLE_ALGORITHM) throw new Error(`${origin}: unsupported Merkle algorithm`);
    if (!Array.isArray(data.files)) throw new Error(`${origin}: files`);
    const files = new Map();
    const unsafe = [];
    for (const entry of data.files) {
      if (!entry || typeof entry.name !== "string" || !/^[0-9a-f]{64}$/.test(entry.sha256) || !Number.isSafeInteger(entry.bytes)) {
        throw new Error(`${origin}: files`);
      }
      if (plainName(entry.name)) files.set(entry.name, entry);
      else unsafe.push(entry.name);
    }
    return { data, raw, sha256: await sha256Hex(raw), files, unsafe };
  }

  function anchorKey(dataset, day) {
    return toHex(sha256(encoder.encode(`${dataset}/${day}`)));
  }

  // The registry's dataset id: SHA-256 of the dataset name (UTF-8).
  function datasetId(dataset) {
    return toHex(sha256(encoder.encode(dataset)));
  }

  function dayNumber(day) {
    return Number(day.replaceAll("-", ""));
  }

  /** The published bytes of a listed file, fetched from the site and checked against the manifest. */
  async function publishedCopy(entry, listed) {
    if (!entry || !listed || listed.bytes > MAX_EXPLAIN) return null;
    try {
      const bytes = await fetchBytes(`${entry.folder}/${listed.name}`, listed.bytes);
      return bytes !== null && (await sha256Hex(bytes)) === listed.sha256 ? bytes : null;
    } catch (error) {
      return null;
    }
  }

  // ------------------------------------------------------------------ file hashing

  async function readChunks(file, onChunk) {
    for (let start = 0; start < file.size; start += CHUNK) {
      const chunk = new Uint8Array(await file.slice(start, start + CHUNK).arrayBuffer());
      onChunk(chunk);
    }
  }

  /** SHA-256 and size of a file: WebCrypto in one call below the threshold, else incremental. */
  async function hashFile(file) {
    const started = performance.now();
    let digest;
    let method;
    if (window.crypto && window.crypto.subtle && file.size <= options.streamThreshold) {
      digest = toHex(new Uint8Array(await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer())));
      method = "WebCrypto";
    } else {
      const hasher = new Sha256();
      await readChunks(file, (chunk) => hasher.update(chunk));
      digest = toHex(hasher.digest());
      method = "incremental";
    }
    return { sha256: digest, size: file.size, ms: performance.now() - started, method };
  }

  /** File digest plus the Merkle root of its lines (each line without its \n is a leaf). */
  async function scanLeaves(file) {
    const started = performance.now();
    const tree = new StreamingRoot();
    const incremental = !(window.crypto && window.crypto.subtle && file.size <= options.streamThreshold);
    const hasher = incremental ? new Sha256() : null;
    let pending = null;
    await readChunks(file, (chunk) => {
      if (hasher) hasher.update(chunk);
      let start = 0;
      let end = chunk.indexOf(10, start);
      while (end !== -1) {
        let line = chunk.subarray(start, end);
        if (pending) {
          const joined = new Uint8Array(pending.length + line.length);
          joined.set(pending);
          joined.set(line, pending.length);
          line = joined;
          pending = null;
        }
        tree.push(leafHash(line));
        start = end + 1;
        end = chunk.indexOf(10, start);
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        if (pending) {
          const joined = new Uint8Array(pending.length + rest.length);
          joined.set(pending);
          joined.set(rest, pending.length);
          pending = joined;
        } else {
          pending = rest.slice();
        }
      }
    });
    const unterminated = pending !== null && pending.length > 0;
    if (unterminated) tree.push(leafHash(pending));
    let digest;
    let method = "incremental";
    if (hasher) {
      digest = toHex(hasher.digest());
    } else {
      digest = (await hashFile(file)).sha256;
      method = "WebCrypto";
    }
    return {
      sha256: digest, size: file.size, treeSize: tree.count, root: toHex(tree.root()),
      unterminated, ms: performance.now() - started, method,
    };
  }

  // ------------------------------------------------------------------ checks

  function checkManifestFields(check, manifest, dataset, day) {
    const expected = { dataset, date: day, anchorKey: anchorKey(dataset, day) };
    for (const [field, value] of Object.entries(expected)) {
      let actual = manifest.data[field];
      if (field === "anchorKey") actual = hex32(actual);
      if (actual !== value) check.fail("integrity.manifest_field", { field, expected: value, actual });
    }
  }

  function compareEntry(check, entry, digest, size) {
    let same = true;
    if (entry.sha256 !== digest) {
      check.fail("integrity.hash_mismatch", { file: entry.name, expected: entry.sha256, actual: digest });
      same = false;
    }
    if (Number(entry.bytes) !== size) {
      check.fail("integrity.size_mismatch", { file: entry.name, expected: entry.bytes, actual: size });
      same = false;
    }
    return same;
  }

  function checkInclusion(check, manifest, scan) {
    const merkle = manifest.data.merkle;
    const name = String(merkle.leaves);
    if (scan.unterminated) check.fail("inclusion.unterminated", { file: name });
    if (Number(merkle.treeSize) !== scan.treeSize) {
      check.fail("inclusion.size_mismatch", { file: name, expected: merkle.treeSize, actual: scan.treeSize });
    }
    if (hex32(merkle.root) !== scan.root) {
      check.fail("inclusion.root_mismatch", { file: name, expected: hex32(merkle.root), actual: scan.root });
    }
    if (check.status === "ok") check.ok("inclusion.ok", { size: scan.treeSize, file: name });
  }

  /** SHA256SUMS must list exactly the manifest's files and the manifest, with their digests. */
  function checkSums(check, raw, sumsName, manifest) {
    const expected = new Map([...manifest.files].map(([name, entry]) => [name, entry.sha256]));
    expected.set(`${manifest.data.dataset}-${manifest.data.date}-manifest.json`, manifest.sha256);
    const seen = new Set();
    let count = 0;
    new TextDecoder().decode(raw).split("\n").forEach((rawLine, position) => {
      const line = rawLine.replace(/\r$/, "");
      if (!line.trim()) return;
      const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
      if (!match) {
        check.fail("integrity.sums_malformed", { sums: sumsName, line: position + 1 });
        return;
      }
      const digest = match[1].toLowerCase();
      const name = match[2];
      if (!plainName(name)) {
        check.fail("input.unsafe_name", { name: shown(name, 120), what: "SHA256SUMS" });
      } else if (seen.has(name)) {
        check.fail("integrity.sums_duplicate", { sums: sumsName, file: name, line: position + 1 });
      } else if (!expected.has(name)) {
        check.fail("integrity.not_in_manifest", { file: name, date: manifest.data.date });
      } else if (expected.get(name) !== digest) {
        check.fail("integrity.sums_mismatch", { sums: sumsName, file: name, expected: expected.get(name), actual: digest });
      } else {
        count += 1;
      }
      seen.add(name);
    });
    for (const name of [...expected.keys()].sort()) {
      if (!seen.has(name)) check.fail("integrity.sums_missing", { sums: sumsName, file: name });
    }
    if (check.status !== "fail") check.ok("integrity.sums_ok", { sums: sumsName, count });
  }

  // ------------------------------------------------------------------ what differs (explain.*)

  const MISSING = Symbol("missing");

  function* fieldChanges(before, after, path = "") {
    const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
    if (isObject(before) && isObject(after)) {
      for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
        yield* fieldChanges(key in before ? before[key] : MISSING, key in after ? after[key] : MISSING, path ? `${path}.${key}` : key);
      }
    } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
      for (let i = 0; i < before.length; i++) yield* fieldChanges(before[i], after[i], `${path}[${i}]`);
    } else if (before === MISSING || after === MISSING || canonicalJson(before) !== canonicalJson(after)) {
      yield [path || "-", before, after];
    }
  }

  function addExplanations(check, notes) {
    for (const [key, params] of notes.slice(0, MAX_NOTES)) check.ok(key, params);
    if (notes.length > MAX_NOTES) check.ok("explain.more", { count: notes.length - MAX_NOTES });
  }

  function splitLines(bytes) {
    const text = new TextDecoder().decode(bytes);
    const lines = text.split("\n");
    const cut = lines[lines.length - 1] !== "";
    if (!cut) lines.pop();
    return [lines, cut];
  }

  function releaseLabel(line) {
    try {
      const value = JSON.parse(line);
      if (value && typeof value === "object" && !Array.isArray(value)) {
        const label = value.id || value.ocid;
        if (label !== undefined && label !== null) return [String(label), value];
      }
    } catch (error) {
      // not JSON: no label
    }
    return null;
  }

  function explainLines(check, name, mine, published) {
    const [lines, cut] = splitLines(mine);
    const normal = lines.map((line, i) => (i === 0 ? line.replace(/^\ufeff/, "") : line).replace(/\r$/, ""));
    const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!cut && same(normal, published)) {
      check.ok("explain.resaved_same_lines", { file: name, lines: published.length });
      return;
    }
    let canonical = null;
    try {
      canonical = normal.map((line) => canonicalJson(JSON.parse(line)));
    } catch (error) {
      canonical = null;
    }
    if (!cut && canonical && same(canonical, published)) {
      check.ok("explain.reformatted_same_lines", { file: name, lines: published.length });
      return;
    }
    const found = cut ? normal.slice(0, -1) : normal;
    const publishedSet = new Set(published);
    const foundSet = new Set(found);
    const added = found.map((line, i) => [i, line]).filter(([, line]) => !publishedSet.has(line));
    const removed = published.map((line, i) => [i, line]).filter(([, line]) => !foundSet.has(line));
    const notes = [];
    if (!added.length && !removed.length) {
      let first = found.findIndex((line, i) => line !== published[i]);
      if (first < 0) first = 0;
      if (!cut) notes.push(["explain.lines_reordered", { line: first + 1 }]);
    } else {
      const removedByKey = new Map();
      for (const [index, line] of removed) {
        const key = releaseLabel(line);
        if (key && !removedByKey.has(key[0])) removedByKey.set(key[0], [index, key[1]]);
      }
      for (const [index, line] of added) {
        const key = releaseLabel(line);
        if (key && removedByKey.has(key[0])) {
          const [, before] = removedByKey.get(key[0]);
          removedByKey.delete(key[0]);
          for (const [path, old, now] of [...fieldChanges(before, key[1])].slice(0, 3)) {
            notes.push(["explain.line_changed", { line: index + 1, release: key[0], field: path, published: shown(old), found: shown(now) }]);
          }
        } else {
          notes.push(["explain.line_added", { line: index + 1, release: key ? key[0] : "?" }]);
        }
      }
      for (const [label, [index]] of removedByKey) notes.push(["explain.line_removed", { line: index + 1, release: label }]);
    }
    if (cut) notes.push(["explain.cut", { file: name, line: lines.length }]);
    addExplanations(check, notes);
  }

  /** CSV bytes as records (RFC 4180), after the same normalisation as integrity.csvrows. */
  function csvRecords(bytes) {
    let body = bytes;
    if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
    let text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(body);
    } catch (error) {
      text = new TextDecoder("windows-1252").decode(body);
    }
    const firstLine = text.split(/\r\n|\n|\r/, 1)[0];
    const outside = firstLine.split('"').filter((_, i) => i % 2 === 0).join("");
    let delimiter = ",";
    if (!outside.includes(",")) delimiter = outside.includes(";") ? ";" : outside.includes("\t") ? "\t" : ",";
    const records = [];
    let record = [];
    let field = "";
    let quoted = false;
    let fieldStarted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            quoted = false;
          }
        } else {
          field += c;
        }
      } else if (c === '"') {
        quoted = true;
        fieldStarted = true;
      } else if (c === delimiter) {
        record.push(field);
        field = "";
        fieldStarted = true;
      } else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        if (fieldStarted || field || record.length) records.push([...record, field]);
        record = [];
        field = "";
        fieldStarted = false;
      } else {
        field += c;
        fieldStarted = true;
      }
    }
    if (quoted) throw new Error("unterminated quote");
    if (fieldStarted || field || record.length) records.push([...record, field]);
    return records;
  }

  async function csvRowsDigest(records) {
    return sha256Hex(encoder.encode(records.map((r) => `${canonicalJson(r)}\n`).join("")));
  }

  async function explainCsv(check, name, listed, mine, published) {
    let found;
    try {
      found = csvRecords(mine);
    } catch (error) {
      check.ok("explain.not_csv", { file: name });
      return;
    }
    const before = published ? csvRecords(published) : null;
    const listedRows = listed.rows && typeof listed.rows === "object" ? listed.rows : null;
    const same = before
      ? canonicalJson(before) === canonicalJson(found)
      : Boolean(listedRows && listedRows.sha256 === (await csvRowsDigest(found)));
    if (same) {
      check.ok("explain.resaved_same_rows", { file: name, rows: found.length - 1 });
      return;
    }
    if (!before) {
      const count = listedRows && Number.isInteger(listedRows.count) ? listedRows.count : "?";
      check.ok("explain.rows_differ", { file: name, rows: found.length - 1, published: count });
      return;
    }
    const notes = [];
    const header = before[0] || [];
    if (canonicalJson(found[0] || []) !== canonicalJson(header)) {
      check.ok("explain.columns_changed", { published: header.join(", "), found: (found[0] || []).join(", ") });
      return;
    }
    const rows = found.slice(1);
    const beforeRows = before.slice(1);
    const keys = rows.map((r) => r[0] || "");
    const beforeKeys = beforeRows.map((r) => r[0] || "");
    const cells = (index, row, old) => {
      header.forEach((column, k) => {
        const a = old[k] ?? "";
        const b = row[k] ?? "";
        if (a !== b) notes.push(["explain.cell_changed", { row: index + 1, column, published: shown(a), found: shown(b) }]);
      });
    };
    if (new Set(keys).size === keys.length && new Set(beforeKeys).size === beforeKeys.length) {
      const where = new Map(beforeKeys.map((key, i) => [key, i]));
      const seen = new Set();
      rows.forEach((row, i) => {
        if (!where.has(keys[i])) {
          notes.push(["explain.row_added", { row: i + 1, key: shown(keys[i]) }]);
        } else {
          seen.add(keys[i]);
          cells(i, row, beforeRows[where.get(keys[i])]);
        }
      });
      beforeKeys.forEach((key, i) => {
        if (!seen.has(key)) notes.push(["explain.row_removed", { row: i + 1, key: shown(key) }]);
      });
    } else {
      rows.forEach((row, i) => {
        if (i < beforeRows.length) cells(i, row, beforeRows[i]);
      });
      if (rows.length !== beforeRows.length) notes.push(["explain.row_count", { found: rows.length, published: beforeRows.length }]);
    }
    addExplanations(check, notes);
  }

  async function explainJson(check, name, listed, mine, published) {
    let value;
    let canonical;
    try {
      value = JSON.parse(new TextDecoder().decode(mine).replace(/^\ufeff/, ""));
      canonical = canonicalJson(value);
    } catch (error) {
      check.ok("explain.not_json", { file: name });
      return;
    }
    if ((await sha256Hex(encoder.encode(canonical))) === listed.sha256) {
      check.ok("explain.reformatted_same_json", { file: name });
      return;
    }
    if (!published) {
      check.ok("explain.content_differs", { file: name });
      return;
    }
    const before = JSON.parse(new TextDecoder().decode(published));
    addExplanations(check, [...fieldChanges(before, value)].map(([field, old, now]) => (
      ["explain.field_changed", { file: name, field, published: shown(old), found: shown(now) }]
    )));
  }

  /** Say in plain words what differs in a dropped file that does not match its manifest entry. */
  async function explainFile(check, file, name, listed, manifest, entry) {
    if (file.size > MAX_EXPLAIN) {
      check.ok("explain.not_compared", { file: name });
      return;
    }
    try {
      const mine = new Uint8Array(await file.arrayBuffer());
      const published = await publishedCopy(entry, listed);
      if (name === manifest.data.merkle.leaves) {
        if (!published) {
          check.ok("explain.no_reference", { file: name });
          return;
        }
        explainLines(check, name, mine, splitLines(published)[0]);
      } else if (listed.mediaType === "text/csv" || name.endsWith(".csv")) {
        await explainCsv(check, name, listed, mine, published);
      } else if (listed.mediaType === "application/json" || name.endsWith(".json")) {
        await explainJson(check, name, listed, mine, published);
      } else {
        check.ok("explain.binary", { file: name });
      }
    } catch (error) {
      check.ok("explain.not_compared", { file: name });
    }
  }

  // ------------------------------------------------------------------ chain (JSON-RPC)

  let rpcId = 0;

  async function rpc(url, method, params) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
    });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const answer = await response.json();
    if (answer.error) throw new Error(`${method}: ${answer.error.message || JSON.stringify(answer.error)}`);
    return answer.result;
  }

  function words(result) {
    const clean = hex32(result) || "";
    const out = [];
    for (let i = 0; i + 64 <= clean.length; i += 64) out.push(clean.slice(i, i + 64));
    return out;
  }

  function word(n) {
    return BigInt(n).toString(16).padStart(64, "0");
  }

  function entryOf(w) {
    if (BigInt(`0x${w[0]}`) === 0n) return null;
    return {
      seq: parseInt(w[0], 16), previous: parseInt(w[1], 16), day: parseInt(w[2], 16),
      kind: parseInt(w[3], 16), digest: w[4], supersedes: parseInt(w[5], 16),
      blockNumber: parseInt(w[6], 16), timestamp: parseInt(w[7], 16),
    };
  }

  // An empty answer (no code at that block, e.g. below the deployment) holds no entry.
  async function callWords(url, contract, data, tag, count, name) {
    const answer = await rpc(url, "eth_call", [{ to: contract, data }, tag]);
    const w = words(answer);
    if (w.length === 0) return Array(count).fill(ZERO32);
    if (w.length < count) throw new Error(`${name}: unexpected answer from ${contract}`);
    return w;
  }

  // latest_entry(bytes32 dataset, uint32 day) -> (Entry, uint64 count): 9 static words.
  async function readEntry(url, contract, dataset, day, tag) {
    const w = await callWords(url, contract, `0x${LATEST_ENTRY_SELECTOR}${dataset}${word(day)}`, tag, 9, "latest_entry");
    return { entry: entryOf(w), count: parseInt(w[8], 16) };
  }

  // get_entry(bytes32 dataset, uint64 seq) -> Entry: 8 static words.
  async function readEntryBySeq(url, contract, dataset, seq, tag) {
    return entryOf(await callWords(url, contract, `0x${GET_ENTRY_SELECTOR}${dataset}${word(seq)}`, tag, 8, "get_entry"));
  }

  /** The block to read at: the pin's finality tag, or N confirmations below the latest block. */
  async function readTag(url, chainId, trust) {
    const finality = (trust && trust.finality) || {};
    if (finality.tag) return finality.tag;
    if (finality.confirmations !== undefined && finality.confirmations !== null) {
      const latest = parseInt(await rpc(url, "eth_blockNumber", []), 16);
      return `0x${Math.max(0, latest - Number(finality.confirmations)).toString(16)}`;
    }
    return chainId === ANVIL_CHAIN_ID ? "latest" : "finalized";
  }

  async function readPublisher(url, contract) {
    const result = await rpc(url, "eth_call", [{ to: contract, data: `0x${PUBLISHER_SELECTOR}` }, "latest"]);
    const w = words(result);
    if (w.length < 1) return `0x${"0".repeat(40)}`;
    return `0x${w[0].slice(24)}`;
  }

  /** Everything one node says about a day: its chain id, the entry (final and latest), publisher(). */
  async function readNode(url, contract, dsId, day, trust, chainId) {
    const actualChain = parseInt(await rpc(url, "eth_chainId", []), 16);
    if (actualChain !== chainId) return { chainId: actualChain };
    const tag = await readTag(url, chainId, trust);
    const final = await readEntry(url, contract, dsId, day, tag);
    const latest = final.entry === null && tag !== "latest" ? (await readEntry(url, contract, dsId, day, "latest")).entry : null;
    const publisher = trust ? await readPublisher(url, contract) : null;
    return { chainId: actualChain, stored: final.entry, count: final.count, latest, publisher, tag };
  }

  class NodesDisagree extends Error {}

  /** Read from the first two nodes that answer (a node that does not answer is passed over);
   * two answers must be the same. */
  async function readChain(urls, contract, dsId, day, trust, chainId) {
    const answers = [];
    const used = [];
    let failure = null;
    for (const url of urls) {
      if (answers.length === 2) break;
      try {
        answers.push(await readNode(url, contract, dsId, day, trust, chainId));
        used.push(url);
      } catch (error) {
        failure = error;
      }
    }
    if (!answers.length) throw failure || new Error("no RPC URL");
    if (answers.length === 2 && JSON.stringify(answers[0]) !== JSON.stringify(answers[1])) {
      throw new NodesDisagree(`${used[0]} / ${used[1]}`);
    }
    answers[0].url = used[0];
    return answers[0];
  }

  function sameAddress(left, right) {
    return Boolean(left) && Boolean(right) && String(left).toLowerCase() === String(right).toLowerCase();
  }

  async function previousManifestDigest(manifest) {
    const previous = manifest.data.previous;
    if (!previous || !calendarDay(previous.date)) return null;
    try {
      const index = await loadIndex();
      const entry = indexEntry(index, previous.date);
      if (!entry) return [previous.date, null];
      const raw = await fetchBytes(`${entry.folder}/${entry.manifest}`);
      return [previous.date, raw === null ? null : await sha256Hex(raw)];
    } catch (error) {
      return [previous.date, null];
    }
  }

  /** The node(s) to read: the user's own node (visible field), else the pin's endpoints. */
  function chainEndpoints(trust) {
    const own = userRpc();
    if (own) return { urls: [own], user: true };
    return { urls: trust && trust.source === "page" ? trust.rpc : [], user: false };
  }

  function normalisedReceipt(field, actual) {
    if (field === "dataset") return shown(actual, 80);
    if (field === "day") return Number.isInteger(actual) ? actual : shown(actual, 40);
    return typeof actual === "string" ? hex32(actual) : shown(actual, 80);
  }

  /** The receipt's transaction fields as shown in messages (null when it names neither). */
  function receiptFields(record) {
    if (!record) return null;
    const block = record.blockNumber ?? record.block_number ?? null;
    if ((record.txHash ?? null) === null && block === null) return null;
    return { tx: record.txHash ?? null, shown: { tx: shown(record.txHash ?? "-", 80), block: shown(block ?? "-", 20) } };
  }

  /** Port of integrity.verify check_receipt_transaction once the registry was read: a txHash
   * that is not a transaction hash is FALLA (the publisher never writes one); the page does
   * not read the transaction itself, so a well-formed one is shown as not checked. */
  function checkReceiptTransaction(anchor, receipt) {
    if (receipt.tx !== null && !(typeof receipt.tx === "string" && TX_HASH.test(receipt.tx))) {
      anchor.fail("anchor.receipt_tx_bad", receipt.shown);
    } else {
      anchor.ok("anchor.receipt_unchecked", receipt.shown);
    }
  }

  /** Port of integrity.verify check_anchor: pin, impossible days, receipt, then the chain. */
  async function checkAnchor(result, manifest, record, trust) {
    const anchor = result.checks.anchor;
    const publisher = result.checks.publisher;
    const dataset = String(manifest.data.dataset);
    const day = String(manifest.data.date);
    const digest = manifest.sha256;
    const dsId = datasetId(dataset);
    const recordName = `${dataset}-${day}-anchor.json`;
    const previous = manifest.data.previous;
    const pending = Boolean(record) && record.status === "pendiente";
    const skipPending = () => anchor.skip("unavailable", "anchor.pending_record", { file: recordName, date: day });
    result.pin = trust;

    const impossible = impossibleDay(day);
    if (impossible) anchor.fail(impossible[0], impossible[1]);

    const previousManifest = await previousManifestDigest(manifest);
    if (previousManifest && previousManifest[1] !== null) {
      const expected = hex32(previous.manifestSha256);
      if (previousManifest[1] !== expected) {
        anchor.fail("anchor.previous_manifest_mismatch", { previous_date: previousManifest[0], expected, actual: previousManifest[1] });
      } else {
        anchor.ok("anchor.previous_manifest_ok", { previous_date: previousManifest[0] });
      }
    }

    if (record) {
      const fields = [["dataset", dataset], ["digest", digest], ["day", dayNumber(day)]];
      for (const [field, expected] of fields) {
        const actual = record[field];
        if (actual === undefined || actual === null) continue;
        const normalised = normalisedReceipt(field, actual);
        if (normalised !== expected) anchor.fail("anchor.record_mismatch", { file: recordName, field, expected, actual: normalised });
      }
    }
    const receipt = receiptFields(record);

    const recordChain = record ? record.chainId ?? record.chain_id ?? null : null;
    const recordContract = record ? record.contract ?? null : null;
    const recordPublisher = record ? record.publisher ?? null : null;
    const label = trust ? trust.origin : "trust.json";
    if (!trust) {
      if (publisher.status === "ok") publisher.skip("unavailable", "publisher.no_trust");
    } else {
      const pins = [["chainId", recordChain, trust.chainId], ["contract", recordContract, trust.contract], ["publisher", recordPublisher, trust.publisher]];
      for (const [field, actual, expected] of pins) {
        if (actual === null || actual === undefined) continue;
        const same = field === "chainId" ? String(actual) === String(expected) && typeof actual !== "boolean" : sameAddress(actual, expected);
        if (!same) publisher.fail("publisher.mismatch", { source: recordName, field, actual: shown(actual, 80), expected, trust: label });
      }
      if (trust.dataset && trust.dataset !== dataset) {
        publisher.fail("publisher.mismatch", { source: `${dataset}-${day}-manifest.json`, field: "dataset", actual: dataset, expected: trust.dataset, trust: label });
      }
    }

    const chainId = trust ? trust.chainId : Number.isInteger(recordChain) ? recordChain : null;
    const contract = trust ? trust.contract : typeof recordContract === "string" ? recordContract : null;
    if (chainId !== null && contract) {
      result.manualCall = { chain_id: chainId, to: contract, data: `0x${LATEST_ENTRY_SELECTOR}${dsId}${word(dayNumber(day))}`, digest: `0x${digest}` };
    }
    if (impossible) {
      if (publisher.status === "ok") publisher.skip("not_applicable", "publisher.not_read");
      return;
    }
    if (chainId === null || !contract) {
      if (receipt) anchor.ok("anchor.receipt_unchecked", receipt.shown);
      anchor.skip("unavailable", "anchor.no_contract");
      return;
    }
    const endpoints = chainEndpoints(trust);
    if (!endpoints.urls.length) {
      anchor.skip("unavailable", "page.no_rpc", { chain_id: chainId });
      if (trust && publisher.status === "ok") publisher.skip("unavailable", "page.no_rpc", { chain_id: chainId });
      if (pending) skipPending();
      return;
    }
    if (endpoints.user) result.info.push({ key: "page.rpc_used", params: { url: endpoints.urls[0] } });
    let read;
    try {
      read = await readChain(endpoints.urls, contract, dsId, dayNumber(day), trust, chainId);
      if (read.chainId !== chainId) {
        anchor.skip("unavailable", "anchor.wrong_chain", { actual: read.chainId, expected: chainId });
        if (trust && publisher.status === "ok") publisher.skip("unavailable", "anchor.wrong_chain", { actual: read.chainId, expected: chainId });
        if (pending) skipPending();
        return;
      }
    } catch (error) {
      const disagree = error instanceof NodesDisagree;
      const key2 = disagree ? "anchor.nodes_disagree" : "anchor.chain_unreachable";
      const params = disagree ? { nodes: error.message } : { error: detail(error) };
      anchor.skip("unavailable", key2, params);
      if (trust && publisher.status === "ok") publisher.skip("unavailable", key2, params);
      if (pending) skipPending();
      return;
    }
    result.devChain = chainId === ANVIL_CHAIN_ID;

    if (trust) {
      if (!sameAddress(read.publisher, trust.publisher)) {
        publisher.fail("publisher.mismatch", { source: contract, field: "publisher()", actual: read.publisher, expected: trust.publisher, trust: label });
      } else if (publisher.status === "ok") {
        publisher.ok("publisher.ok", { contract: trust.contract, publisher: trust.publisher, chain_id: trust.chainId, trust: label });
      }
    }
    if (receipt) checkReceiptTransaction(anchor, receipt);

    const stored = read.stored;
    if (stored === null) {
      if (read.latest !== null) {
        anchor.skip("unavailable", "anchor.pending", { date: day, block: read.latest.blockNumber });
      } else if (pending) {
        skipPending();
      } else if (record) {
        anchor.fail("anchor.missing_on_chain", { file: recordName, date: day, block: shown(record.blockNumber ?? "?", 20), dataset });
      } else {
        anchor.skip("unavailable", "anchor.not_anchored", { date: day, dataset });
      }
      return;
    }
    if (stored.day !== dayNumber(day)) anchor.fail("anchor.day_mismatch", { actual: stored.day, expected: day });
    if (stored.digest !== digest) {
      let earlier = null;
      let seq = stored.supersedes;
      for (let i = 0; i < MAX_SUPERSEDED_READS && seq > 0 && earlier === null; i += 1) {
        const entry = await readEntryBySeq(read.url, contract, dsId, seq, read.tag).catch(() => null);
        if (entry === null) break;
        if (entry.digest === digest) earlier = entry;
        seq = entry.supersedes;
      }
      if (earlier) {
        anchor.fail("anchor.superseded", { date: day, seq: earlier.seq, block: earlier.blockNumber, latest_seq: stored.seq, expected: `0x${stored.digest}` });
      } else {
        anchor.fail("anchor.digest_mismatch", { date: day, expected: `0x${stored.digest}`, actual: `0x${digest}` });
      }
    }
    if (anchor.status === "ok") {
      anchor.ok("anchor.ok", { digest: `0x${digest}`, seq: stored.seq, block: stored.blockNumber, chain_id: chainId });
    }
    anchor.ok(KIND_KEYS[stored.kind] || "anchor.kind_unknown", { kind: stored.kind, seq: stored.seq, supersedes: stored.supersedes, count: read.count });
  }

  // ------------------------------------------------------------------ entry points

  /** A node the user typed in the visible field (only while the field is open). */
  function userRpc() {
    const box = document.getElementById("nodo");
    const field = document.getElementById("rpc");
    if (!box || !field || !box.open) return null;
    const value = field.value.trim();
    return /^https?:\/\//.test(value) ? value : null;
  }

  async function fetchRecord(entry, dataset, day) {
    const raw = await fetchBytes(`${entry.folder}/${dataset}-${day}-anchor.json`, 64 << 10);
    return raw === null ? null : parseReceipt(raw);
  }

  function parseReceipt(raw) {
    try {
      const value = JSON.parse(new TextDecoder().decode(raw));
      return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    } catch (error) {
      return undefined;
    }
  }

  function notADate(result, target, day) {
    result.header = { key: "header.target", params: { target } };
    result.checks.integrity.fail("day.not_a_date", { date: day });
    result.skipRest("integrity");
    return result;
  }

  /** One listed file against its manifest entry: SHA-256 and size (a longer file is not read
   * past its listed size, as in the CLI), the leaves file with its Merkle root; what differs
   * is said in plain words. */
  async function checkListedFile(integrity, file, name, listed, manifest, entry, hashed = null) {
    if (file.size > Number(listed.bytes)) {
      integrity.fail("integrity.size_mismatch", { file: name, expected: listed.bytes, actual: file.size });
      await explainFile(integrity, file, name, listed, manifest, entry);
      return { matches: false, longer: true, scan: null, measure: null, name };
    }
    let scan = null;
    let measure;
    if (name === manifest.data.merkle.leaves) {
      scan = await scanLeaves(file);
      measure = scan;
    } else {
      measure = hashed || (await hashFile(file));
    }
    const matches = compareEntry(integrity, listed, measure.sha256, measure.size);
    if (!matches) await explainFile(integrity, file, name, listed, manifest, entry);
    return { matches, longer: false, scan, measure, name };
  }

  /** Inclusion from the leaves file's check: longer than published, or its recomputed root. */
  function checkLeaves(inclusion, manifest, checked) {
    if (checked.longer) inclusion.fail("inclusion.longer", { file: checked.name });
    else checkInclusion(inclusion, manifest, checked.scan);
  }

  /** A dropped day folder: its file names (files directly inside it) and its subfolders. */
  class DroppedFolder {
    constructor(name) {
      this.name = name;
      this.files = new Map();
      this.subfolders = new Set();
    }

    /** The folder's manifest: the first file named {dataset}-{day}-manifest.json. */
    manifestName() {
      return [...this.files.keys()].sort().find((name) => MANIFEST_NAME.test(name)) || null;
    }

    /** (dataset, day) named by the first published file name, when there is no manifest. */
    namedDay() {
      for (const name of [...this.files.keys()].sort()) {
        const parsed = FILE_NAME.exec(name);
        if (parsed) return [parsed[1], parsed[2]];
      }
      return null;
    }
  }

  /** Port of integrity.verify verify_day_folder for a dropped folder: its own manifest (else
   * the site's for the day its files name), every listed file, SHA256SUMS, coverage (a file the
   * manifest does not list fails the day), the Merkle root, then the anchor (the folder's
   * receipt, else the site's) and the publisher. Nothing outside the folder's listing is read. */
  async function verifyFolder(folder) {
    const result = new Result(folder.name);
    result.header = { key: "header.target", params: { target: folder.name } };
    const integrity = result.checks.integrity;
    const inclusion = result.checks.inclusion;
    const manifestName = folder.manifestName();
    let dataset;
    let day;
    let manifest = null;
    let entry = null;
    if (manifestName) {
      [, dataset, day] = MANIFEST_NAME.exec(manifestName);
      if (!calendarDay(day)) return notADate(result, folder.name, day);
      const file = folder.files.get(manifestName);
      if (file.size > MAX_SMALL_FILE) {
        integrity.skip("unavailable", "input.too_large", { file: manifestName, limit: "16 MB" });
        result.skipRest("integrity");
        return result;
      }
      try {
        manifest = await parseManifest(new Uint8Array(await file.arrayBuffer()), manifestName);
      } catch (error) {
        integrity.skip("unavailable", "locate.manifest_invalid", { detail: detail(error) });
        result.skipRest("integrity");
        return result;
      }
    } else {
      const named = folder.namedDay();
      if (!named) {
        integrity.skip("unavailable", "page.folder_no_manifest", { folder: folder.name });
        result.skipRest("integrity");
        return result;
      }
      [dataset, day] = named;
      if (!calendarDay(day)) return notADate(result, folder.name, day);
    }
    result.header = { key: "header.day", params: { dataset, date: day, target: folder.name } };
    try {
      entry = indexEntry(await loadIndex(), day);
      if (!manifest && entry) manifest = await loadManifest(entry);
    } catch (error) {
      // the site's index or manifest: only needed when the folder has no manifest of its own
      if (!manifest) {
        integrity.skip("unavailable", "page.index_missing", { detail: detail(error) });
        result.skipRest("integrity");
        return result;
      }
    }
    if (!manifest) {
      integrity.skip("unavailable", "locate.manifest_missing", { dataset, date: day });
      result.skipRest("integrity");
      return result;
    }

    checkManifestFields(integrity, manifest, dataset, day);
    for (const name of manifest.unsafe) integrity.fail("input.unsafe_name", { name: shown(name, 120), what: "manifest" });
    const leavesName = String(manifest.data.merkle.leaves);
    if (!plainName(leavesName)) integrity.fail("input.unsafe_name", { name: shown(leavesName, 120), what: "merkle" });
    let leaves = null;
    let count = 0;
    for (const name of [...manifest.files.keys()].sort()) {
      const file = folder.files.get(name);
      if (!file) {
        integrity.fail("integrity.file_missing", { file: name });
        continue;
      }
      const checked = await checkListedFile(integrity, file, name, manifest.files.get(name), manifest, entry);
      if (name === leavesName) leaves = checked;
      if (checked.matches) count += 1;
    }
    const sumsName = `${dataset}-${day}-SHA256SUMS`;
    const sums = folder.files.get(sumsName);
    if (!sums) integrity.ok("integrity.sums_absent", { sums: sumsName });
    else checkSums(integrity, new Uint8Array(await sums.slice(0, MAX_SMALL_FILE).arrayBuffer()), sumsName, manifest);
    const known = new Set([...manifest.files.keys(), ...["manifest.json", "SHA256SUMS", "anchor.json"].map((kind) => `${dataset}-${day}-${kind}`)]);
    for (const name of [...folder.files.keys(), ...folder.subfolders].sort()) {
      if (!known.has(name) && !name.startsWith(".")) integrity.fail("integrity.unlisted_file", { file: name });
    }
    if (integrity.status === "ok") integrity.notes.unshift({ key: "integrity.files_ok", params: { count }, failed: false });
    if (leaves) {
      checkLeaves(inclusion, manifest, leaves);
    } else if (inclusion.status === "ok" && !inclusion.notes.length) {
      const listed = manifest.files.has(leavesName);
      if (listed && integrity.status !== "fail") inclusion.skip("unavailable", "inclusion.not_checked", { file: leavesName });
      else inclusion.fail(listed ? "integrity.file_missing" : "integrity.not_in_manifest", { file: leavesName, date: day });
    }

    const receiptName = `${dataset}-${day}-anchor.json`;
    let record = null;
    const receipt = manifestName ? folder.files.get(receiptName) : null;
    if (receipt) {
      record = receipt.size <= MAX_RECEIPT ? parseReceipt(new Uint8Array(await receipt.arrayBuffer())) : undefined;
    } else if (entry) {
      record = await fetchRecord(entry, dataset, day).catch(() => null);
    }
    if (record === undefined) {
      result.checks.anchor.ok("anchor.receipt_unreadable", { file: receiptName, detail: "json" });
      record = null;
    }
    const trust = await trustFor(result);
    await checkAnchor(result, manifest, record, trust);
    return result;
  }

  /** Verify a published file (or a file identified by its digest as ``name``). */
  async function verifyPublished(file, name, hashed) {
    const [, dataset, day, kind] = FILE_NAME.exec(name);
    const result = new Result(file.name);
    if (!calendarDay(day)) return notADate(result, file.name, day);
    result.header = { key: "header.day", params: { dataset, date: day, target: file.name } };
    const integrity = result.checks.integrity;
    const inclusion = result.checks.inclusion;
    if (name !== file.name) integrity.ok("integrity.identified", { file: file.name, name });
    let index;
    try {
      index = await loadIndex();
    } catch (error) {
      integrity.skip("unavailable", "page.index_missing", { detail: detail(error) });
      result.skipRest("integrity");
      return result;
    }
    const entry = indexEntry(index, day);
    let manifest = null;
    try {
      manifest = entry ? await loadManifest(entry) : null;
    } catch (error) {
      integrity.skip("unavailable", "locate.manifest_invalid", { detail: detail(error) });
      result.skipRest("integrity");
      return result;
    }
    if (!entry || manifest === null) {
      integrity.skip("unavailable", "locate.manifest_missing", { dataset, date: day });
      result.skipRest("integrity");
      return result;
    }
    let record = null;
    const listed = manifest.files.get(name);
    if (kind === "manifest.json") {
      const dropped = await parseManifest(new Uint8Array(await file.arrayBuffer()), file.name).catch(() => null);
      if (dropped === null || dropped.sha256 !== manifest.sha256) {
        integrity.fail("integrity.hash_mismatch", { file: name, expected: manifest.sha256, actual: dropped ? dropped.sha256 : (await hashFile(file)).sha256 });
      }
      if (dropped !== null) manifest = dropped;
      checkManifestFields(integrity, manifest, dataset, day);
      if (integrity.status === "ok") integrity.ok("integrity.manifest_ok", { date: day, digest: manifest.sha256 });
      inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
    } else if (kind === "SHA256SUMS" && !listed) {
      checkManifestFields(integrity, manifest, dataset, day);
      checkSums(integrity, new Uint8Array(await file.slice(0, 16 << 20).arrayBuffer()), name, manifest);
      inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
    } else if (kind === "anchor.json" && !listed) {
      checkManifestFields(integrity, manifest, dataset, day);
      record = file.size <= 64 << 10 ? parseReceipt(new Uint8Array(await file.arrayBuffer())) : undefined;
      if (record === undefined) {
        integrity.fail("anchor.receipt_unreadable", { file: name, detail: "json" });
        record = null;
      } else if (integrity.status === "ok") {
        integrity.ok("integrity.manifest_ok", { date: day, digest: manifest.sha256 });
      }
      inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
    } else {
      checkManifestFields(integrity, manifest, dataset, day);
      if (!listed) {
        integrity.fail("integrity.not_in_manifest", { file: name, date: day });
        inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
      } else {
        const checked = await checkListedFile(integrity, file, name, listed, manifest, entry, hashed);
        result.measure = checked.measure;
        if (name === manifest.data.merkle.leaves) checkLeaves(inclusion, manifest, checked);
        else inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
        if (checked.matches && integrity.status === "ok") integrity.ok("integrity.files_ok", { count: 1 });
      }
    }
    if (record === null) {
      try {
        record = await fetchRecord(entry, dataset, day);
      } catch (error) {
        record = null;
      }
      if (record === undefined) {
        result.checks.anchor.ok("anchor.receipt_unreadable", { file: `${dataset}-${day}-anchor.json`, detail: "json" });
        record = null;
      }
    }
    const trust = await trustFor(result);
    await checkAnchor(result, manifest, record, trust);
    return result;
  }

  /** The fields of a proof, checked one by one (the first bad one is named). */
  async function parseProof(proof) {
    const bad = (field) => ({ error: field });
    let manifest;
    try {
      manifest = await parseManifest(encoder.encode(canonicalJson(proof.manifest)), "proof.manifest");
    } catch (error) {
      return bad("manifest");
    }
    if (typeof proof.line !== "string") return bad("line");
    if (!Number.isSafeInteger(proof.leafIndex) || proof.leafIndex < 0) return bad("leafIndex");
    if (!Array.isArray(proof.auditPath) || proof.auditPath.length > 64) return bad("auditPath");
    const path = [];
    for (const node of proof.auditPath) {
      const clean = typeof node === "string" ? node.toLowerCase().replace(/^0x/, "") : "";
      if (!/^[0-9a-f]{64}$/.test(clean)) return bad("auditPath");
      path.push(fromHex(clean));
    }
    if (typeof proof.dataset !== "string" || !proof.dataset || proof.dataset.includes("/")) return bad("dataset");
    if (!calendarDay(proof.date)) return { notADate: String(proof.date).slice(0, 40) };
    return { manifest, line: proof.line, leafIndex: proof.leafIndex, path, dataset: proof.dataset, day: proof.date };
  }

  /** Port of integrity.verify verify_proof (the tree size always comes from the manifest). */
  async function verifyProof(proof, target, number = "-") {
    const result = new Result(target);
    const integrity = result.checks.integrity;
    const inclusion = result.checks.inclusion;
    const parsed = await parseProof(proof);
    if (parsed.notADate !== undefined) return notADate(result, target, parsed.notADate);
    if (parsed.error) {
      integrity.fail("integrity.proof_malformed", { line: number, detail: parsed.error });
      result.skipRest("integrity");
      return result;
    }
    const { manifest, line, leafIndex, path, dataset, day } = parsed;
    result.header = { key: "header.proof", params: { leaf_index: leafIndex, dataset, date: day } };
    checkManifestFields(integrity, manifest, dataset, day);
    let release = {};
    let canonical = false;
    try {
      release = JSON.parse(line);
      canonical = canonicalJson(release) === line;
    } catch (error) {
      canonical = false;
    }
    if (!canonical) integrity.fail("integrity.proof_line_not_canonical");
    else if (integrity.status === "ok") integrity.ok("integrity.proof_ok", { ocid: release.ocid || "?" });

    const treeSize = Number(manifest.data.merkle.treeSize);
    const root = hex32(manifest.data.merkle.root) || "";
    if (proof.treeSize !== undefined && proof.treeSize !== treeSize) {
      inclusion.ok("inclusion.proof_tree_size_ignored", { claimed: proof.treeSize, tree_size: treeSize });
    }
    const params = { leaf_index: leafIndex, tree_size: treeSize, root };
    if (verifyInclusion(encoder.encode(line), leafIndex, treeSize, path, root)) inclusion.ok("inclusion.proof_ok", params);
    else inclusion.fail("inclusion.proof_failed", params);

    const trust = await trustFor(result);
    const record = proof.anchor && typeof proof.anchor === "object" && !Array.isArray(proof.anchor) ? proof.anchor : null;
    await checkAnchor(result, manifest, record, trust);
    return result;
  }

  /** Whether a file holds proofs: JSON whose first value names an audit path and a line. */
  async function looksLikeProofs(file) {
    const head = new TextDecoder().decode(await file.slice(0, 64 << 10).arrayBuffer());
    const start = head.trimStart();
    if (!start.startsWith("{") && !start.startsWith("[")) return false;
    if (head.includes('"auditPath"') && head.includes('"line"')) return true;
    if (file.size > 16 << 20) return false;
    const isProof = (v) => v && typeof v === "object" && !Array.isArray(v) && "auditPath" in v && "line" in v;
    const raw = await file.text();
    try {
      const value = JSON.parse(raw);
      return isProof(Array.isArray(value) ? value[0] : value);
    } catch (error) {
      try {
        return isProof(JSON.parse(raw.split("\n", 1)[0]));
      } catch (inner) {
        return false;
      }
    }
  }

  /** [line number, value or Error] of every proof in a file (bounded in bytes and count). */
  async function readProofValues(file) {
    if (file.size > MAX_PROOF_FILE) return { refused: ["input.too_large", { file: file.name, limit: "64 MB" }] };
    const raw = await file.text();
    try {
      const value = JSON.parse(raw);
      const values = Array.isArray(value) ? value : [value];
      if (values.length > MAX_PROOFS) return { refused: ["input.too_many_proofs", { file: file.name, limit: MAX_PROOFS }] };
      return { values: values.map((v) => [1, v]) };
    } catch (error) {
      const lines = raw.split("\n");
      const values = [];
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i].trim()) continue;
        if (values.length >= MAX_PROOFS) return { refused: ["input.too_many_proofs", { file: file.name, limit: MAX_PROOFS }] };
        try {
          values.push([i + 1, JSON.parse(lines[i])]);
        } catch (inner) {
          values.push([i + 1, new Error("json")]);
        }
      }
      return { values };
    }
  }

  function combine(target, items) {
    const result = new Result(target);
    result.header = { key: "header.target", params: { target } };
    result.items = items;
    for (const name of CHECKS) {
      const check = result.checks[name];
      const parts = items.map((item) => item.checks[name]);
      const failed = parts.filter((c) => c.status === "fail");
      if (failed.length) {
        check.status = "fail";
        failed.forEach((c) => check.notes.push(...c.notes.filter((n) => n.failed)));
      } else if (parts.some((c) => c.skipReason === "unavailable")) {
        const first = parts.find((c) => c.skipReason === "unavailable");
        check.skip("unavailable", first.notes[first.notes.length - 1].key, first.notes[first.notes.length - 1].params);
      } else if (parts.length && parts.every((c) => c.status === "skipped")) {
        check.status = "skipped";
        check.skipReason = parts[0].skipReason;
        if (parts[0].notes.length) check.notes.push(parts[0].notes[parts[0].notes.length - 1]);
      } else if (parts.length) {
        const first = parts.find((c) => c.notes.length);
        if (first) check.notes.push(first.notes[first.notes.length - 1]);
      }
    }
    result.devChain = items.some((item) => item.devChain);
    result.manualCall = items.length === 1 ? items[0].manualCall : null;
    result.pin = items.map((item) => item.pin).find((pin) => pin) || null;
    return result;
  }

  async function verifyProofFile(file) {
    const read = await readProofValues(file);
    if (read.refused) {
      const result = new Result(file.name);
      result.header = { key: "header.target", params: { target: file.name } };
      result.checks.integrity.skip("unavailable", read.refused[0], read.refused[1]);
      result.skipRest("integrity");
      return result;
    }
    const items = [];
    for (const [number, value] of read.values) {
      if (value && typeof value === "object" && !Array.isArray(value) && !(value instanceof Error) && "auditPath" in value && "line" in value) {
        items.push(await verifyProof(value, file.name, number));
      } else {
        const item = new Result(`${file.name}:${number}`);
        item.checks.integrity.fail("integrity.proof_malformed", { line: number, detail: value instanceof Error ? "json" : "fields" });
        item.skipRest("integrity");
        items.push(item);
      }
    }
    return items.length === 1 ? items[0] : combine(file.name, items);
  }

  /** Verify one dropped file: a published file by name, a proof, or any file by digest. */
  async function verifyFile(file) {
    const parsed = FILE_NAME.exec(file.name);
    if (parsed && !calendarDay(parsed[2])) return notADate(new Result(file.name), file.name, parsed[2]);
    const proofs = await looksLikeProofs(file);
    if (parsed && !proofs) return verifyPublished(file, file.name, null);
    if (proofs) return verifyProofFile(file);
    const hashed = await hashFile(file);
    try {
      const index = await loadIndex();
      for (const entry of [...index.days].reverse()) {
        if (hex32(entry.manifestSha256) === hashed.sha256) return verifyPublished(file, entry.manifest, hashed);
        const manifest = await loadManifest(entry);
        for (const listed of manifest ? manifest.files.values() : []) {
          if (listed.sha256 === hashed.sha256 && FILE_NAME.test(listed.name)) {
            return verifyPublished(file, listed.name, hashed);
          }
        }
      }
    } catch (error) {
      // fall through: reported as an unknown file below
    }
    const result = new Result(file.name);
    result.header = { key: "header.target", params: { target: file.name } };
    result.measure = hashed;
    result.checks.integrity.fail("locate.unknown_file", { path: file.name });
    result.skipRest("integrity");
    return result;
  }

  // ------------------------------------------------------------------ rendering

  const rendered = [];

  function element(tag, attributes = {}, content = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (content) node.textContent = content;
    return node;
  }

  function pinNote(result) {
    const pin = result.pin;
    if (!pin) {
      const reached = result.allChecks().some((c) => c.name === "publisher" && c.notes.length);
      return reached ? { key: "pin.none", params: {} } : null;
    }
    const key = pin.source === "page" ? "pin.used.page" : "pin.used.data";
    return { key, params: { chain_id: pin.chainId, contract: pin.contract, publisher: pin.publisher, origin: pin.origin, name: pin.name || pin.origin } };
  }

  function renderResult(result) {
    const box = element("section", { class: "resultado", "data-file": result.target, "data-exit-code": String(result.exitCode) });
    if (result.header) box.append(element("h2", {}, text(result.header.key, result.header.params)));
    for (const info of result.info) box.append(element("p", { class: "nota", "data-key": info.key }, text(info.key, info.params)));
    const table = element("table", { class: "checks" });
    for (const name of CHECKS) {
      const check = result.checks[name];
      const row = element("tr", { "data-check": name, "data-status": check.status, class: `estado-${check.status}` });
      row.append(element("th", {}, checkName(name)));
      row.append(element("td", { class: "estado" }, statusName(check.status)));
      const notes = element("td", { class: "mensajes" });
      for (const note of check.notes) {
        const kind = note.failed ? "falla" : note.key.startsWith("explain.") ? "explica" : "";
        notes.append(element("div", { class: kind, "data-key": note.key }, text(note.key, note.params)));
      }
      row.append(notes);
      table.append(row);
    }
    box.append(table);
    const verdict = result.verdict;
    box.append(element("p", { class: `veredicto salida-${result.exitCode}`, "data-key": verdict.key }, text(verdict.key, verdict.params)));
    const usedPin = pinNote(result);
    if (usedPin) box.append(element("p", { class: "pin-usado", "data-key": usedPin.key }, text(usedPin.key, usedPin.params)));
    if (result.devChain) box.append(element("p", { class: "aviso" }, text("devchain.warning")));
    if (result.manualCall) {
      const manual = element("details", { class: "manual" });
      manual.append(element("summary", {}, text("page.manual")));
      manual.append(element("code", {}, text("manual.call", result.manualCall)));
      box.append(manual);
    }
    if (result.measure) {
      const m = result.measure;
      const rate = m.ms > 0 ? (m.size / 1e6 / (m.ms / 1000)).toFixed(1) : "-";
      box.append(element("p", { class: "medida", "data-bytes": String(m.size), "data-ms": m.ms.toFixed(1), "data-method": m.method, "data-sha256": m.sha256 }, text("page.hashed", { file: result.target, size: m.size, digest: m.sha256, ms: m.ms.toFixed(0), rate, method: m.method })));
    }
    return box;
  }

  function renderAll() {
    const list = document.getElementById("resultados");
    if (!list) return;
    list.replaceChildren(...rendered.map(renderResult));
  }

  function renderPin() {
    const line = document.getElementById("confianza");
    const compare = document.getElementById("pin-comparar");
    const nodes = document.getElementById("nodos");
    const pin = embeddedPin();
    if (!line) return;
    if (pin) {
      line.textContent = text("page.pin_line", { name: pin.name, kind: pin.kind, chain_id: pin.chainId, contract: pin.contract, publisher: pin.publisher });
      line.setAttribute("data-source", "page");
      if (compare) {
        compare.replaceChildren(document.createTextNode(text("page.pin_compare", { name: pin.name })));
        if (pin.compare && /^https:\/\//.test(pin.compare)) {
          compare.append(" ", element("a", { href: pin.compare, rel: "noopener noreferrer" }, pin.compare));
        }
      }
      if (nodes) nodes.textContent = text("page.pin_nodes", { nodes: pin.rpc.join(" · ") || "—" });
    } else {
      const invalid = site.pin && site.pin.invalid;
      line.setAttribute("data-source", "none");
      line.textContent = text(invalid ? "page.pin_invalid" : "page.pin_missing");
      if (compare) compare.textContent = "";
      if (nodes) nodes.textContent = text("page.pin_no_nodes");
    }
  }

  function renderStatic() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-t]")) {
      node.textContent = text(node.getAttribute("data-t"), { limit: Math.round(options.streamThreshold / (1 << 20)) });
    }
    renderPin();
  }

  /** Verify dropped files and folders one after the other (newest result first). */
  async function handleJobs(jobs) {
    const status = document.getElementById("estado");
    for (const job of jobs) {
      if (status) status.textContent = text("page.working", { file: job.name });
      let result;
      try {
        result = await job.run();
      } catch (error) {
        result = new Result(job.name);
        result.header = { key: "header.target", params: { target: job.name } };
        result.checks.integrity.skip("unavailable", "cli.error", { detail: detail(error) });
        result.skipRest("integrity");
      }
      rendered.unshift(result);
      renderAll();
    }
    if (status) {
      status.textContent = "";
      status.setAttribute("data-done", String(Number(status.getAttribute("data-done") || 0) + jobs.length));
    }
  }

  function fileJob(file) {
    return { name: file.name, run: () => verifyFile(file) };
  }

  function folderJob(name, read) {
    return { name, run: async () => verifyFolder(await read()) };
  }

  /** The folder chosen in the folder field: its files grouped by the first part of their path. */
  function chosenFolders(files) {
    const folders = new Map();
    for (const file of files) {
      const parts = (file.webkitRelativePath || file.name).split("/");
      const top = parts.length > 1 ? parts[0] : "";
      if (!folders.has(top)) folders.set(top, new DroppedFolder(top || file.name));
      const folder = folders.get(top);
      if (parts.length <= 2) folder.files.set(parts[parts.length - 1], file);
      else folder.subfolders.add(parts[1]);
    }
    return [...folders.values()];
  }

  /** A folder dropped on the zone: the files directly in it and the names of its subfolders
   * (which are not entered: a day folder has none). */
  async function droppedFolder(directory) {
    const folder = new DroppedFolder(directory.name);
    const reader = directory.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) return folder;
      for (const entry of batch) {
        if (entry.isDirectory) folder.subfolders.add(entry.name);
        else if (entry.isFile) folder.files.set(entry.name, await new Promise((resolve, reject) => entry.file(resolve, reject)));
      }
    }
  }

  /** What was dropped on the zone: a folder is verified as a day folder, a file on its own. */
  function droppedJobs(transfer) {
    const jobs = [];
    for (const item of transfer.items || []) {
      if (item.kind !== "file") continue;
      const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
      if (entry && entry.isDirectory) {
        jobs.push(folderJob(entry.name, () => droppedFolder(entry)));
      } else {
        const file = item.getAsFile();
        if (file) jobs.push(fileJob(file));
      }
    }
    return jobs.length || !transfer.files ? jobs : [...transfer.files].map(fileJob);
  }

  async function start() {
    // The node is never taken from the URL (?rpc= is ignored): a link could name a lying node.
    const params = new URLSearchParams(window.location.search);
    if (params.get("lang") === "en") lang = "en";
    if (params.has("umbral")) options.streamThreshold = Number(params.get("umbral"));
    embeddedPin();
    renderStatic();
    const input = document.getElementById("archivo");
    const zone = document.getElementById("zona");
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";
      handleJobs(files.map(fileJob));
    });
    const folderInput = document.getElementById("carpeta");
    folderInput.addEventListener("change", () => {
      const folders = chosenFolders([...folderInput.files]);
      folderInput.value = "";
      handleJobs(folders.map((folder) => folderJob(folder.name, async () => folder)));
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("encima");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("encima"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("encima");
      handleJobs(droppedJobs(event.dataTransfer));
    });
    document.getElementById("idioma").addEventListener("click", () => {
      lang = lang === "es" ? "en" : "es";
      renderStatic();
      renderAll();
    });
    document.body.setAttribute("data-ready", "true");
  }

  window.verificador = {
    options, Sha256, sha256Hex, canonicalJson, verifyInclusion, verifyFile, verifyFolder, hashFile, scanLeaves,
    toHex, text, csvRecords, setLanguage: (value) => { lang = value; renderStatic(); renderAll(); },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
