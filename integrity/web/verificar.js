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
  const DEFAULT_RPC = "http://127.0.0.1:8545";
  const CHUNK = 4 << 20;
  const MAX_PROOF_FILE = 256 << 20;
  const ZERO32 = "0".repeat(64);
  const KNOWN_KINDS = new Set([
    "releases.json", "releases.jsonl", "orders.parquet", "orders.csv", "quarantine.parquet",
    "quality.json", "manifest.json", "SHA256SUMS", "anchor.json",
  ]);
  const FILE_NAME = /^([a-z0-9-]+?)-(\d{4}-\d{2}-\d{2})-([A-Za-z0-9_.]+)$/;
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
    }

    get failedChecks() {
      return CHECKS.filter((name) => this.checks[name].status === "fail");
    }

    get unavailableChecks() {
      return CHECKS.filter(
        (name) => this.checks[name].status === "skipped" && this.checks[name].skipReason === "unavailable",
      );
    }

    get exitCode() {
      if (this.failedChecks.length) return 1;
      return this.unavailableChecks.length ? 2 : 0;
    }

    get verdict() {
      if (this.failedChecks.length) return { key: "verdict.failed", params: { checks: this.failedChecks.join(", ") } };
      if (this.unavailableChecks.length) {
        return { key: "verdict.incomplete", params: { checks: this.unavailableChecks.join(", ") } };
      }
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

  // ------------------------------------------------------------------ datasets root (same origin)

  const site = { index: null, trust: undefined, manifests: new Map() };

  async function fetchBytes(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async function loadIndex() {
    if (site.index === null) {
      const raw = await fetchBytes("index.json");
      if (raw === null) throw new Error("index.json: 404");
      const data = JSON.parse(new TextDecoder().decode(raw));
      const days = Array.isArray(data) ? data : data.days || [];
      site.index = { dataset: Array.isArray(data) ? null : data.dataset, days };
    }
    return site.index;
  }

  async function loadTrust() {
    if (site.trust === undefined) {
      const raw = await fetchBytes("trust.json");
      site.trust = raw === null ? null : parseTrust(JSON.parse(new TextDecoder().decode(raw)));
    }
    return site.trust;
  }

  function parseTrust(data) {
    // A trust pin (perucompras-trust-pin/1), or the older flat trust.json.
    const pin = data.format === "perucompras-trust-pin/1";
    const network = pin ? data.network || {} : {};
    const chainId = pin ? network.chainId : data.chainId ?? data.chain_id;
    const contract = pin ? (data.registry || {}).address : data.contract ?? data.contractAddress;
    const publisher = data.publisher ?? data.publisherAddress;
    if (chainId === undefined || !contract || !publisher) {
      throw new Error("trust.json: chainId, contract and publisher are required");
    }
    const rpc = pin && Array.isArray(network.rpc) ? network.rpc : [];
    const finality = pin ? network.finality || {} : {};
    return {
      chainId: Number(chainId), contract, publisher, dataset: data.dataset || null,
      rpcUrl: rpc[0] || data.rpcUrl || null, finalityTag: finality.tag || null,
      confirmations: finality.confirmations ?? null,
    };
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
      throw new Error(`${origin}: not valid JSON (${error.message})`);
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error(`${origin}: expected a JSON object`);
    const missing = ["schema", "dataset", "date", "merkle", "files", "previous", "anchorKey"].filter((k) => !(k in data));
    if (missing.length) throw new Error(`${origin}: missing ${missing.join(", ")}`);
    if (data.schema !== MANIFEST_SCHEMA) throw new Error(`${origin}: unknown manifest schema ${data.schema}`);
    if (!data.merkle || data.merkle.algorithm !== MERKLE_ALGORITHM) throw new Error(`${origin}: unsupported Merkle algorithm`);
    return { data, raw, sha256: await sha256Hex(raw), files: new Map(data.files.map((f) => [f.name, f])) };
  }

  function anchorKey(dataset, day) {
    return toHex(sha256(encoder.encode(`${dataset}/${day}`)));
  }

  function dayNumber(day) {
    return Number(day.replaceAll("-", ""));
  }

  // The registry's dataset id: SHA-256 of the dataset name (UTF-8).
  function datasetId(dataset) {
    return toHex(sha256(encoder.encode(dataset)));
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

  function checkSums(check, raw, sumsName, manifest) {
    const expected = new Map([...manifest.files].map(([name, entry]) => [name, entry.sha256]));
    expected.set(`${manifest.data.dataset}-${manifest.data.date}-manifest.json`, manifest.sha256);
    let count = 0;
    new TextDecoder().decode(raw).split(/\r?\n/).forEach((line, position) => {
      if (!line.trim()) return;
      const match = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line);
      if (!match) {
        check.fail("integrity.sums_malformed", { sums: sumsName, line: position + 1 });
        return;
      }
      const digest = match[1].toLowerCase();
      const name = match[2];
      if (!expected.has(name)) {
        check.fail("integrity.not_in_manifest", { file: name, date: manifest.data.date });
      } else if (expected.get(name) !== digest) {
        check.fail("integrity.sums_mismatch", { sums: sumsName, file: name, expected: expected.get(name), actual: digest });
      } else {
        count += 1;
      }
    });
    if (check.status !== "fail") check.ok("integrity.sums_ok", { sums: sumsName, count });
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

  // latest_entry(bytes32 dataset, uint32 day) -> (Entry, uint64 count): 9 static words.
  async function readEntry(url, contract, dataset, day, tag) {
    const data = `0x${LATEST_ENTRY_SELECTOR}${dataset}${word(day)}`;
    const w = words(await rpc(url, "eth_call", [{ to: contract, data }, tag]));
    if (w.length < 9) throw new Error(`latest_entry: unexpected answer from ${contract}`);
    return { entry: entryOf(w), count: parseInt(w[8], 16) };
  }

  // get_entry(bytes32 dataset, uint64 seq) -> Entry: 8 static words.
  async function readEntryBySeq(url, contract, dataset, seq, tag) {
    const data = `0x${GET_ENTRY_SELECTOR}${dataset}${word(seq)}`;
    const w = words(await rpc(url, "eth_call", [{ to: contract, data }, tag]));
    if (w.length < 8) throw new Error(`get_entry: unexpected answer from ${contract}`);
    return entryOf(w);
  }

  async function readTag(url, chainId, trust) {
    if (trust && trust.finalityTag) return trust.finalityTag;
    if (trust && trust.confirmations !== null && trust.confirmations !== undefined) {
      const latest = parseInt(await rpc(url, "eth_blockNumber", []), 16);
      return `0x${Math.max(0, latest - Number(trust.confirmations)).toString(16)}`;
    }
    return chainId === ANVIL_CHAIN_ID ? "latest" : "finalized";
  }

  async function readPublisher(url, contract) {
    const result = await rpc(url, "eth_call", [{ to: contract, data: `0x${PUBLISHER_SELECTOR}` }, "latest"]);
    const w = words(result);
    if (w.length < 1) throw new Error(`publisher(): unexpected answer ${result}`);
    return `0x${w[0].slice(24)}`;
  }

  function sameAddress(left, right) {
    return Boolean(left) && Boolean(right) && String(left).toLowerCase() === String(right).toLowerCase();
  }

  async function previousManifestDigest(manifest) {
    const previous = manifest.data.previous;
    if (!previous) return null;
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

  /** Port of integrity.verify.check_anchor: receipt, trust pin, then the registry (v2). */
  async function checkAnchor(result, manifest, record, trust, rpcUrl) {
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
        const normalised = field === "day" ? Number(actual) : field === "dataset" ? String(actual) : hex32(actual);
        if (normalised !== expected) anchor.fail("anchor.record_mismatch", { file: recordName, field, expected, actual: normalised });
      }
    }

    const recordChain = record ? record.chainId ?? record.chain_id ?? null : null;
    const recordContract = record ? record.contract ?? null : null;
    const recordPublisher = record ? record.publisher ?? null : null;
    if (!trust) {
      publisher.skip("unavailable", "publisher.no_trust");
    } else {
      const pins = [["chainId", recordChain, trust.chainId], ["contract", recordContract, trust.contract], ["publisher", recordPublisher, trust.publisher]];
      for (const [field, actual, expected] of pins) {
        if (actual === null || actual === undefined) continue;
        const same = field === "chainId" ? Number(actual) === expected : sameAddress(actual, expected);
        if (!same) publisher.fail("publisher.mismatch", { source: recordName, field, actual, expected, trust: "trust.json" });
      }
      if (trust.dataset && trust.dataset !== dataset) {
        publisher.fail("publisher.mismatch", { source: `${dataset}-${day}-manifest.json`, field: "dataset", actual: dataset, expected: trust.dataset, trust: "trust.json" });
      }
    }

    const chainId = trust ? trust.chainId : recordChain !== null ? Number(recordChain) : null;
    const contract = trust ? trust.contract : recordContract;
    if (chainId !== null && contract) {
      result.manualCall = { chain_id: chainId, to: contract, data: `0x${LATEST_ENTRY_SELECTOR}${dsId}${word(dayNumber(day))}`, digest: `0x${digest}` };
    }
    if (chainId === null || !contract) {
      anchor.skip("unavailable", "anchor.no_contract");
      return;
    }
    if (!rpcUrl) {
      anchor.skip("unavailable", "anchor.no_rpc", { chain_id: chainId });
      if (trust && publisher.status === "ok") publisher.skip("unavailable", "anchor.no_rpc", { chain_id: chainId });
      if (pending) skipPending();
      return;
    }
    let final;
    let latest = null;
    let onChainPublisher = null;
    let tag;
    try {
      const actualChain = parseInt(await rpc(rpcUrl, "eth_chainId", []), 16);
      if (actualChain !== chainId) {
        anchor.skip("unavailable", "anchor.wrong_chain", { actual: actualChain, expected: chainId });
        if (trust && publisher.status === "ok") publisher.skip("unavailable", "anchor.wrong_chain", { actual: actualChain, expected: chainId });
        if (pending) skipPending();
        return;
      }
      result.devChain = chainId === ANVIL_CHAIN_ID;
      tag = await readTag(rpcUrl, chainId, trust);
      final = await readEntry(rpcUrl, contract, dsId, dayNumber(day), tag);
      if (final.entry === null && tag !== "latest") latest = (await readEntry(rpcUrl, contract, dsId, dayNumber(day), "latest")).entry;
      if (trust) onChainPublisher = await readPublisher(rpcUrl, contract);
    } catch (error) {
      const params = { error: String(error.message || error).slice(0, 300) };
      anchor.skip("unavailable", "anchor.chain_unreachable", params);
      if (trust && publisher.status === "ok") publisher.skip("unavailable", "anchor.chain_unreachable", params);
      if (pending) skipPending();
      return;
    }

    if (trust) {
      if (!sameAddress(onChainPublisher, trust.publisher)) {
        publisher.fail("publisher.mismatch", { source: contract, field: "publisher()", actual: onChainPublisher, expected: trust.publisher, trust: "trust.json" });
      } else if (publisher.status === "ok") {
        publisher.ok("publisher.ok", { contract: trust.contract, publisher: trust.publisher, chain_id: trust.chainId, trust: "trust.json" });
      }
    }

    const stored = final.entry;
    if (stored === null) {
      if (latest !== null) {
        anchor.skip("unavailable", "anchor.pending", { date: day, block: latest.blockNumber });
      } else if (pending) {
        skipPending();
      } else if (record) {
        anchor.fail("anchor.missing_on_chain", { file: recordName, date: day, block: record.blockNumber ?? "?", dataset });
      } else {
        anchor.skip("unavailable", "anchor.not_anchored", { date: day, dataset });
      }
      return;
    }
    if (stored.day !== dayNumber(day)) anchor.fail("anchor.day_mismatch", { actual: stored.day, expected: day });
    if (stored.digest !== digest) {
      let earlier = null;
      let seq = stored.supersedes;
      for (let i = 0; i < 32 && seq > 0 && earlier === null; i += 1) {
        const entry = await readEntryBySeq(rpcUrl, contract, dsId, seq, tag).catch(() => null);
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
    anchor.ok(KIND_KEYS[stored.kind] || "anchor.kind_unknown", { kind: stored.kind, seq: stored.seq, supersedes: stored.supersedes, count: final.count });
  }

  // ------------------------------------------------------------------ entry points

  function rpcUrl() {
    const field = document.getElementById("rpc");
    return field ? field.value.trim() : DEFAULT_RPC;
  }

  async function trustOrFail(result) {
    try {
      return await loadTrust();
    } catch (error) {
      result.checks.publisher.fail("publisher.trust_invalid", { trust: "trust.json", error: String(error.message || error) });
      return null;
    }
  }

  async function fetchRecord(entry, dataset, day) {
    const raw = await fetchBytes(`${entry.folder}/${dataset}-${day}-anchor.json`);
    return raw === null ? null : JSON.parse(new TextDecoder().decode(raw));
  }

  /** Verify a published file (or a file identified by its digest as ``name``). */
  async function verifyPublished(file, name, hashed) {
    const [, dataset, day, kind] = FILE_NAME.exec(name);
    const result = new Result(file.name);
    result.header = { key: "header.day", params: { dataset, date: day, target: file.name } };
    const integrity = result.checks.integrity;
    const inclusion = result.checks.inclusion;
    let index;
    try {
      index = await loadIndex();
    } catch (error) {
      integrity.skip("unavailable", "page.index_missing", { error: String(error.message || error) });
      result.skipRest("integrity");
      return result;
    }
    const entry = indexEntry(index, day);
    let manifest = null;
    try {
      manifest = entry ? await loadManifest(entry) : null;
    } catch (error) {
      integrity.skip("unavailable", "locate.manifest_invalid", { error: String(error.message || error) });
      result.skipRest("integrity");
      return result;
    }
    if (!entry || manifest === null) {
      integrity.skip("unavailable", "locate.manifest_missing", { dataset, date: day });
      result.skipRest("integrity");
      return result;
    }
    let record = null;
    if (kind === "manifest.json") {
      const dropped = await parseManifest(new Uint8Array(await file.arrayBuffer()), file.name).catch(() => null);
      if (dropped === null || dropped.sha256 !== manifest.sha256) {
        integrity.fail("integrity.hash_mismatch", { file: name, expected: manifest.sha256, actual: dropped ? dropped.sha256 : (await hashFile(file)).sha256 });
      }
      if (dropped !== null) manifest = dropped;
      checkManifestFields(integrity, manifest, dataset, day);
      if (integrity.status === "ok") integrity.ok("integrity.manifest_ok", { date: day, digest: manifest.sha256 });
      inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
    } else if (kind === "SHA256SUMS") {
      checkManifestFields(integrity, manifest, dataset, day);
      checkSums(integrity, new Uint8Array(await file.arrayBuffer()), name, manifest);
      inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
    } else if (kind === "anchor.json") {
      checkManifestFields(integrity, manifest, dataset, day);
      try {
        record = JSON.parse(await file.text());
      } catch (error) {
        integrity.fail("integrity.proof_malformed", { error: String(error.message || error) });
      }
      if (integrity.status === "ok") integrity.ok("integrity.manifest_ok", { date: day, digest: manifest.sha256 });
      inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
    } else {
      checkManifestFields(integrity, manifest, dataset, day);
      const listed = manifest.files.get(name);
      if (!listed) {
        integrity.fail("integrity.not_in_manifest", { file: name, date: day });
        inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
      } else if (name === manifest.data.merkle.leaves) {
        const scan = await scanLeaves(file);
        result.measure = scan;
        compareEntry(integrity, listed, scan.sha256, scan.size);
        if (integrity.status === "ok") integrity.ok("integrity.files_ok", { count: 1 });
        checkInclusion(inclusion, manifest, scan);
      } else {
        const digest = hashed || (await hashFile(file));
        result.measure = digest;
        compareEntry(integrity, listed, digest.sha256, digest.size);
        if (integrity.status === "ok") integrity.ok("integrity.files_ok", { count: 1 });
        inclusion.skip("not_applicable", "inclusion.not_applicable", { file: name });
      }
    }
    if (name !== file.name) result.info.push({ key: "page.identified", params: { file: file.name, name } });
    if (record === null) {
      try {
        record = await fetchRecord(entry, dataset, day);
      } catch (error) {
        record = null;
      }
    }
    const trust = await trustOrFail(result);
    await checkAnchor(result, manifest, record, trust, rpcUrl());
    return result;
  }

  /** Port of integrity.proof.verify_proof (the tree size always comes from the manifest). */
  async function verifyProof(proof, target) {
    const result = new Result(target);
    const integrity = result.checks.integrity;
    const inclusion = result.checks.inclusion;
    let manifest;
    let line;
    let leafIndex;
    let path;
    let dataset;
    let day;
    try {
      const raw = encoder.encode(canonicalJson(proof.manifest));
      manifest = await parseManifest(raw, "proof.manifest");
      if (typeof proof.line !== "string") throw new Error("line must be a string");
      line = proof.line;
      leafIndex = Number(proof.leafIndex);
      if (!Number.isSafeInteger(leafIndex)) throw new Error(`leafIndex: ${proof.leafIndex}`);
      path = proof.auditPath.map((node) => {
        const bytes = fromHex(node);
        if (bytes.length !== 32) throw new Error(`auditPath: ${node}`);
        return bytes;
      });
      dataset = String(proof.dataset);
      day = String(proof.date);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`date: ${day}`);
    } catch (error) {
      integrity.fail("integrity.proof_malformed", { error: String(error.message || error).slice(0, 300) });
      result.skipRest("integrity");
      return result;
    }
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

    const trust = await trustOrFail(result);
    const record = proof.anchor && typeof proof.anchor === "object" ? proof.anchor : null;
    await checkAnchor(result, manifest, record, trust, rpcUrl());
    return result;
  }

  async function readProofs(file) {
    if (file.size > MAX_PROOF_FILE) return null;
    const head = new TextDecoder().decode(await file.slice(0, 1024).arrayBuffer()).trimStart();
    if (!head.startsWith("{") && !head.startsWith("[")) return null;
    const raw = await file.text();
    let values;
    try {
      const value = JSON.parse(raw);
      values = Array.isArray(value) ? value : [value];
    } catch (error) {
      try {
        values = raw.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
      } catch (inner) {
        return null;
      }
    }
    const proofs = values.filter((v) => v && typeof v === "object" && "auditPath" in v && "line" in v);
    return proofs.length && proofs.length === values.length ? proofs : null;
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
        check.notes.push(parts[0].notes[parts[0].notes.length - 1]);
      }
    }
    result.devChain = items.some((item) => item.devChain);
    result.manualCall = items.length === 1 ? items[0].manualCall : null;
    return result;
  }

  /** Verify one dropped file: a published file by name, a proof, or any file by digest. */
  async function verifyFile(file) {
    const parsed = FILE_NAME.exec(file.name);
    if (parsed && KNOWN_KINDS.has(parsed[3])) return verifyPublished(file, file.name, null);
    const proofs = await readProofs(file);
    if (proofs !== null) {
      const items = [];
      for (const proof of proofs) items.push(await verifyProof(proof, file.name));
      return items.length === 1 ? items[0] : combine(file.name, items);
    }
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

  function renderResult(result) {
    const box = element("section", { class: "resultado", "data-file": result.target, "data-exit-code": String(result.exitCode) });
    if (result.header) box.append(element("h2", {}, text(result.header.key, result.header.params)));
    for (const info of result.info) box.append(element("p", { class: "nota" }, text(info.key, info.params)));
    const table = element("table", { class: "checks" });
    for (const name of CHECKS) {
      const check = result.checks[name];
      const row = element("tr", { "data-check": name, "data-status": check.status, class: `estado-${check.status}` });
      row.append(element("th", {}, checkName(name)));
      row.append(element("td", { class: "estado" }, statusName(check.status)));
      const notes = element("td", { class: "mensajes" });
      for (const note of check.notes) {
        notes.append(element("div", { class: note.failed ? "falla" : "", "data-key": note.key }, text(note.key, note.params)));
      }
      row.append(notes);
      table.append(row);
    }
    box.append(table);
    const verdict = result.verdict;
    box.append(element("p", { class: `veredicto salida-${result.exitCode}`, "data-key": verdict.key }, text(verdict.key, verdict.params)));
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

  function renderStatic() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-t]")) {
      node.textContent = text(node.getAttribute("data-t"), { limit: Math.round(options.streamThreshold / (1 << 20)) });
    }
    const trustLine = document.getElementById("confianza");
    if (trustLine) {
      if (site.trust) {
        trustLine.textContent = text("page.trust_line", { chain_id: site.trust.chainId, contract: site.trust.contract, publisher: site.trust.publisher });
      } else if (site.trust === null) {
        trustLine.textContent = text("page.trust_missing");
      }
    }
  }

  async function handleFiles(files) {
    const status = document.getElementById("estado");
    for (const file of files) {
      if (status) status.textContent = text("page.working", { file: file.name });
      let result;
      try {
        result = await verifyFile(file);
      } catch (error) {
        result = new Result(file.name);
        result.header = { key: "header.target", params: { target: file.name } };
        result.checks.integrity.skip("unavailable", "cli.error", { error: String(error.message || error) });
        result.skipRest("integrity");
      }
      rendered.unshift(result);
      renderAll();
    }
    if (status) {
      status.textContent = "";
      status.setAttribute("data-done", String(Number(status.getAttribute("data-done") || 0) + files.length));
    }
  }

  async function start() {
    const params = new URLSearchParams(window.location.search);
    if (params.get("lang") === "en") lang = "en";
    if (params.has("umbral")) options.streamThreshold = Number(params.get("umbral"));
    try {
      await loadTrust();
    } catch (error) {
      site.trust = null;
    }
    const rpcField = document.getElementById("rpc");
    if (rpcField && !rpcField.value) rpcField.value = params.get("rpc") || (site.trust && site.trust.rpcUrl) || DEFAULT_RPC;
    renderStatic();
    const input = document.getElementById("archivo");
    const zone = document.getElementById("zona");
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";
      handleFiles(files);
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("encima");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("encima"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("encima");
      handleFiles([...event.dataTransfer.files]);
    });
    document.getElementById("idioma").addEventListener("click", () => {
      lang = lang === "es" ? "en" : "es";
      renderStatic();
      renderAll();
    });
    document.body.setAttribute("data-ready", "true");
  }

  window.verificador = {
    options, Sha256, sha256Hex, canonicalJson, verifyInclusion, verifyFile, hashFile, scanLeaves,
    toHex, text, setLanguage: (value) => { lang = value; renderStatic(); renderAll(); },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
