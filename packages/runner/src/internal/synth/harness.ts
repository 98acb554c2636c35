/**
 * The generated harness: one ES module with the captured calls inside (base64 of `v8.serialize`), run with the
 * checkout as the working directory. It loads the target function from a copy of its file written next to the
 * original (same directory, same extension, so imports and the module format are the same), registered by a
 * line appended to the copy; TypeScript runs through Node's type stripping (`.js` specifiers that name `.ts`
 * files are resolved when Node offers `module.registerHooks`).
 *
 * ```
 * node harness.mjs replay OUT          # replay every call, write outcomes (v8) to OUT
 * node harness.mjs compare ORIGINAL CANDIDATE   # first differing call (against the captured outcomes), as JSON
 * node harness.mjs bench repeated|distinct   # RATCHET_BENCH line with per-pass times
 * node harness.mjs BASELINE_DIR CANDIDATE_DIR   # the whole check by hand: equivalence, then timings
 * ```
 *
 * @internal
 */

const HARNESS_SOURCE = String.raw`#!/usr/bin/env node
// Ratchet synthesized benchmark (generated).
// __INFO__
// Re-run by hand: node <this file> <baseline checkout> <candidate checkout>
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire, registerHooks } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import util from "node:util";
import v8 from "node:v8";

const TARGET = __TARGET_JSON__;
const DATA = __DATA__;
const SELF = fileURLToPath(import.meta.url);
const TS = /\.[cm]?ts$/.test(TARGET.file);

// TypeScript targets need type stripping: re-run this file with it when the flag is missing.
if (TS && !process.execArgv.some((a) => a.startsWith("--experimental-transform-types") || a.startsWith("--experimental-strip-types")) && !process.env.RATCHET_SYNTH_TS) {
  const major = Number(process.versions.node.split(".")[0]);
  const minor = Number(process.versions.node.split(".")[1]);
  const flag = major > 22 || (major === 22 && minor >= 7) ? "--experimental-transform-types" : "--experimental-strip-types";
  const r = spawnSync(process.execPath, [flag, "--no-warnings", SELF, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, RATCHET_SYNTH_TS: "1" } });
  process.exit(r.status === null ? 1 : r.status);
}

const records = v8.deserialize(Buffer.from(DATA, "base64"));

if (TS && typeof registerHooks === "function") {
  registerHooks({
    resolve(specifier, context, next) {
      try {
        return next(specifier, context);
      } catch (error) {
        if (!error || error.code !== "ERR_MODULE_NOT_FOUND" || !(specifier.startsWith(".") || specifier.startsWith("/"))) throw error;
        const tries = [specifier.replace(/\.js$/, ".ts"), specifier.replace(/\.mjs$/, ".mts"), specifier.replace(/\.cjs$/, ".cts"), specifier + ".ts", specifier + ".js", specifier + "/index.ts", specifier + "/index.js"];
        for (const alt of tries) {
          if (alt === specifier) continue;
          try {
            return next(alt, context);
          } catch (e) {}
        }
        throw error;
      }
    }
  });
}

const registered = new Map();
globalThis.__ratchetCapture = {
  call: (id, self, args, run) => run(),
  wrap: (id, fn) => fn,
  register: (id, fn) => registered.set(id, fn)
};

const copies = [];
process.on("exit", () => {
  for (const file of copies) {
    try {
      fs.rmSync(file, { force: true });
    } catch (e) {}
  }
});

let copyFile = null;
let format = null;
// A fresh instance of the target's module each time (new module-level state), from a copy next to the original.
const load = async (instance) => {
  if (copyFile === null) {
    const original = path.resolve(process.cwd(), TARGET.file);
    const source = fs.readFileSync(original, "utf8");
    const ext = path.extname(original);
    copyFile = path.join(path.dirname(original), ".ratchet-replay-" + process.pid + "-" + path.basename(original, ext) + ext);
    copies.push(copyFile);
    const register = "\n;globalThis.__ratchetCapture.register(" + JSON.stringify(TARGET.id) + ", " + (TARGET.reference || TARGET.name) + ");\n";
    fs.writeFileSync(copyFile, (TS ? "// @ts-nocheck\n" : "") + source + register);
  }
  registered.delete(TARGET.id);
  if (format !== "cjs") {
    await import(pathToFileURL(copyFile).href + "?instance=" + instance);
    const fn = registered.get(TARGET.id);
    if (typeof fn === "function") {
      if (instance > 0) format = "esm";
      return fn;
    }
    if (instance === 0) throw new Error("the copy of " + TARGET.file + " did not define a function " + TARGET.name);
    // CommonJS ignores the query (the module came from the require cache): drop it and require it again
    format = "cjs";
  }
  const req = createRequire(copyFile);
  delete req.cache[copyFile];
  req(copyFile);
  const fn = registered.get(TARGET.id);
  if (typeof fn !== "function") throw new Error("the copy of " + TARGET.file + " did not define a function " + TARGET.name);
  return fn;
};

const replayable = records.filter((r) => r.payload !== null);
const payloadOf = (r) => v8.deserialize(r.payload);

const errorOf = (e) =>
  e !== null && typeof e === "object"
    ? { name: String(e.name), message: String(e.message), ctor: e.constructor && e.constructor.name ? String(e.constructor.name) : null, value: null }
    : { name: null, message: null, ctor: null, value: util.inspect(e, { depth: 2 }) };

const settle = async (fn, args) => {
  try {
    const result = fn(...args);
    if (result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function") {
      try {
        return { kind: "resolve", value: await result, error: null };
      } catch (e) {
        return { kind: "reject", value: undefined, error: errorOf(e) };
      }
    }
    return { kind: "return", value: result, error: null };
  } catch (e) {
    return { kind: "throw", value: undefined, error: errorOf(e) };
  }
};

const show = (value) => {
  const text = util.inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 200 });
  return text.length > 300 ? text.slice(0, 297) + "..." : text;
};

const replay = async (out) => {
  const fn = await load(0);
  const outcomes = [];
  for (const record of replayable) {
    const p = payloadOf(record);
    const args = v8.deserialize(p.args);
    const o = await settle(fn, args);
    let value = null;
    let problem = null;
    try {
      value = o.kind === "return" || o.kind === "resolve" ? v8.serialize(o.value) : null;
    } catch (e) {
      problem = "a result that cannot be serialised (" + String(e && e.message) + ")";
    }
    let after = null;
    try {
      after = v8.serialize(args);
    } catch (e) {
      problem = problem || "arguments that cannot be serialised after the call";
    }
    outcomes.push({ kind: o.kind === "resolve" ? "return" : o.kind === "reject" ? "throw" : o.kind, value, error: o.error, after, problem, shown: problem ? show(o.value) : null });
  }
  fs.writeFileSync(out, v8.serialize(outcomes));
};

// How two outcomes of one call differ, or null. Values compare with util.isDeepStrictEqual.
const differ = (a, b) => {
  if (a.kind !== b.kind) return { what: "completion", original: a.kind === "throw" ? "threw " + describeError(a.error) : "returned", candidate: b.kind === "throw" ? "threw " + describeError(b.error) : "returned" };
  if (a.kind === "throw") {
    const x = a.error || {};
    const y = b.error || {};
    if (x.name !== y.name || x.ctor !== y.ctor || x.message !== y.message || x.value !== y.value) return { what: "thrown error", original: describeError(x), candidate: describeError(y) };
  } else {
    if (a.problem || b.problem) {
      if (a.problem !== b.problem || a.shown !== b.shown) return { what: "result", original: a.problem ? a.shown : show(v8.deserialize(a.value)), candidate: b.problem ? b.shown : show(v8.deserialize(b.value)) };
    } else {
      const va = v8.deserialize(a.value);
      const vb = v8.deserialize(b.value);
      if (!util.isDeepStrictEqual(va, vb)) return { what: "result", original: show(va), candidate: show(vb) };
    }
  }
  const xa = a.after ? v8.deserialize(a.after) : null;
  const xb = b.after ? v8.deserialize(b.after) : null;
  if (xa && xb) {
    for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
      if (!util.isDeepStrictEqual(xa[i], xb[i])) return { what: "argument " + (i + 1) + " after the call", original: show(xa[i]), candidate: show(xb[i]) };
    }
  }
  return null;
};
const describeError = (e) => (e ? (e.value !== null && e.value !== undefined ? e.value : (e.ctor && e.ctor !== e.name ? e.ctor + " " : "") + e.name + ": " + e.message) : "nothing");

const compare = (originalFile, candidateFile) => {
  const a = v8.deserialize(fs.readFileSync(originalFile));
  const b = v8.deserialize(fs.readFileSync(candidateFile));
  let compared = 0;
  let nondeterministic = 0;
  for (let i = 0; i < replayable.length; i++) {
    const p = payloadOf(replayable[i]);
    const captured = { kind: p.error ? "throw" : "return", value: p.outcome, error: p.error, after: p.after, problem: null, shown: null };
    // a call whose replay on the original differs from what the tests saw depends on something else: left out
    if (!a[i] || differ(captured, a[i]) !== null) {
      nondeterministic++;
      continue;
    }
    compared++;
    const d = b[i] ? differ(a[i], b[i]) : { what: "completion", original: "returned", candidate: "nothing (the replay stopped)" };
    if (d) {
      const args = v8.deserialize(p.args);
      return { compared, nondeterministic, difference: { call: replayable[i].index, test: replayable[i].test, args: show(args).replace(/^\[ ?|\s?\]$/g, ""), what: d.what, original: d.original, candidate: d.candidate } };
    }
  }
  return { compared, nondeterministic, difference: null };
};

const now = () => process.hrtime.bigint();
const primitive = (v) => v === null || (typeof v !== "object" && typeof v !== "function");

const bench = async (mode) => {
  const name = "synthesized: " + TARGET.name + " (" + mode + " inputs)";
  let calls = replayable.map((r) => payloadOf(r).args);
  if (mode === "distinct") {
    const seen = new Set();
    calls = calls.filter((buf) => {
      const key = Buffer.from(buf).toString("base64");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  const immutable = calls.every((buf) => v8.deserialize(buf).every(primitive));
  const samples = [];
  const budgetNs = 300_000_000n;
  let spent = 0n;
  let fn = await load(0);
  const pass = async (fresh) => {
    if (fresh) fn = await load(fresh);
    const argv = calls.map((buf) => v8.deserialize(buf));
    // calls on primitive arguments cannot change them: repeat the pass inside one timing window for resolution
    const once = async () => {
      for (const args of argv) {
        try {
          const r = fn(...args);
          if (r !== null && typeof r === "object" && typeof r.then === "function") await r.catch(() => {});
        } catch (e) {
          // a call that throws is part of the workload, as it was in the tests
        }
      }
    };
    const t0 = now();
    await once();
    let elapsed = now() - t0;
    if (immutable && mode === "repeated" && elapsed < 1_000_000n) {
      const reps = Number(1_000_000n / (elapsed > 0n ? elapsed : 1n)) + 1;
      const t1 = now();
      for (let k = 0; k < reps; k++) await once();
      elapsed = (now() - t1) / BigInt(reps);
    }
    return elapsed;
  };
  const wrapped = async (fresh) => {
    try {
      return await pass(fresh);
    } catch (e) {
      return 0n;
    }
  };
  // warm-up (repeated) or one instance's worth (distinct: every pass starts on a fresh module instance)
  if (mode === "repeated") for (let i = 0; i < 5; i++) await wrapped(0);
  let instance = 1;
  while (samples.length < 200 && (samples.length < 5 || spent < budgetNs)) {
    const t = await wrapped(mode === "distinct" ? instance++ : 0);
    spent += t > 0n ? t : 1_000_000n;
    if (mode === "distinct") spent += 2_000_000n; // a module load per pass
    samples.push(Number(t));
  }
  console.log("RATCHET_BENCH " + JSON.stringify({ name, samples: samples.filter((s) => s > 0) }));
};

const byHand = (baselineDir, candidateDir) => {
  const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || "/tmp", "ratchet-synth-"));
  const run = (cwd, args) => spawnSync(process.execPath, [SELF, ...args], { cwd, encoding: "utf8" });
  console.log("# " + TARGET.name + " (" + TARGET.file + "): " + replayable.length + " replayable captured call(s)");
  const a = run(baselineDir, ["replay", path.join(tmp, "a.bin")]);
  const b = run(candidateDir, ["replay", path.join(tmp, "b.bin")]);
  if (a.status !== 0 || b.status !== 0) {
    console.log("replay failed:\n" + (a.stderr || "") + (b.stderr || ""));
    process.exit(1);
  }
  const verdict = compare(path.join(tmp, "a.bin"), path.join(tmp, "b.bin"));
  console.log("equivalence: " + (verdict.difference ? "DIFFERENT " + JSON.stringify(verdict.difference) : "identical on " + verdict.compared + " call(s)") + (verdict.nondeterministic > 0 ? ", " + verdict.nondeterministic + " nondeterministic call(s) left out" : ""));
  for (const mode of ["repeated", "distinct"]) {
    const base = [];
    const cand = [];
    for (let round = 0; round < 10; round++) {
      for (const [dir, into] of round % 2 === 0 ? [[baselineDir, base], [candidateDir, cand]] : [[candidateDir, cand], [baselineDir, base]]) {
        const r = run(dir, ["bench", mode]);
        const line = (r.stdout || "").split("\n").find((l) => l.startsWith("RATCHET_BENCH "));
        if (!line) continue;
        const s = JSON.parse(line.slice(14)).samples.sort((x, y) => x - y);
        into.push(s[Math.floor(s.length / 2)]);
      }
    }
    const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const change = (med(cand) - med(base)) / med(base);
    console.log(mode + " inputs: baseline median " + med(base) + " ns, candidate median " + med(cand) + " ns per pass, change " + (change * 100).toFixed(1) + "% over " + base.length + " interleaved process pairs");
  }
  fs.rmSync(tmp, { recursive: true, force: true });
};

const [command, ...rest] = process.argv.slice(2);
if (command === "replay") await replay(rest[0]);
else if (command === "compare") console.log(JSON.stringify(compare(rest[0], rest[1])));
else if (command === "bench") await bench(rest[0] === "distinct" ? "distinct" : "repeated");
else if (command && rest.length === 1) byHand(path.resolve(command), path.resolve(rest[0]));
else {
  console.error("usage: node " + path.basename(SELF) + " <baseline checkout> <candidate checkout>");
  process.exit(2);
}
`

/** What the harness carries: the target and the replayable records, in capture order. */
export interface HarnessData {
  /** `reference`: the module-level expression that reaches the function (its name, `module.exports`, `exports.f`). */
  readonly target: { readonly file: string; readonly name: string; readonly id: string; readonly reference: string }
  readonly info: string
  /** `v8.serialize` of `Array<{ index, test, payload: Buffer | null }>`. */
  readonly data: Buffer
}

/** The harness source for a capture. */
export const harnessSource = (h: HarnessData): string =>
  HARNESS_SOURCE.replace("__INFO__", h.info.replace(/[\r\n]+/g, " ").replace(/\*\//g, "* /"))
    .replace("__TARGET_JSON__", JSON.stringify(h.target))
    .replace("__DATA__", JSON.stringify(h.data.toString("base64")))
