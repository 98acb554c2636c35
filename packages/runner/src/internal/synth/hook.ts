/**
 * The capture runtime: a CommonJS file installed in every test process with `node --import` (and loaded on
 * first call where a process has no preload, e.g. worker threads). Instrumented functions call
 * `__ratchet_rt().call(id, this, arguments, run)`; the runtime records the arguments before the call, the
 * outcome, and the arguments after it, one file per call, at most `RATCHET_CAPTURE_MAX_CALLS` across all
 * processes (slots claimed with exclusive creates).
 *
 * A record file is `[u32 header length][header JSON][payload]`: the header (id, test, outcome kind,
 * replayable, reason) is all Ratchet's own process reads; the payload (`v8.serialize` of the serialised
 * arguments, outcome and arguments after) is only ever deserialised by the harness inside the sandbox.
 *
 * @internal
 */

export const HOOK_SOURCE = String.raw`"use strict";
// Ratchet capture runtime (generated). Records calls of instrumented functions for synthesized benchmarks.
const KEY = Symbol.for("ratchet.capture.runtime");
if (globalThis[KEY]) {
  module.exports = globalThis[KEY];
} else {
  const fs = require("node:fs");
  const path = require("node:path");
  const v8 = require("node:v8");
  const util = require("node:util");
  const DIR = process.env.RATCHET_CAPTURE_DIR || "";
  const ROOT = process.env.RATCHET_CAPTURE_ROOT || process.cwd();
  const MAX_CALLS = Number(process.env.RATCHET_CAPTURE_MAX_CALLS) || 200;
  const MAX_BYTES = Number(process.env.RATCHET_CAPTURE_MAX_BYTES) || 1048576;
  const registry = new Map();
  const active = new Set();
  let cursor = 0;
  let full = false;

  const tagOf = (v) => Object.prototype.toString.call(v);
  const isPlainProto = (proto) => proto === null || (Object.getPrototypeOf(proto) === null && typeof proto.hasOwnProperty === "function" && proto.constructor && proto.constructor.name === "Object");

  // Why a value cannot be replayed faithfully, or null when it is plain data v8.serialize keeps as it is.
  const problemOf = (value, seen, depth) => {
    if (value === null) return null;
    const t = typeof value;
    if (t === "function") return "a function";
    if (t === "symbol") return "a symbol";
    if (t !== "object") return null;
    if (seen.has(value)) return null;
    seen.add(value);
    if (depth > 200) return "data nested deeper than 200 levels";
    if (util.types.isProxy(value)) return "a Proxy";
    if (util.types.isDate(value) || util.types.isRegExp(value) || util.types.isBoxedPrimitive(value)) return null;
    if (util.types.isArrayBuffer(value) || util.types.isSharedArrayBuffer(value) || ArrayBuffer.isView(value)) return null;
    if (util.types.isNativeError(value)) return null;
    if (util.types.isMap(value)) {
      for (const [k, v] of value) {
        const p = problemOf(k, seen, depth + 1) || problemOf(v, seen, depth + 1);
        if (p) return p;
      }
      return Object.getPrototypeOf(Object.getPrototypeOf(value)) === null || tagOf(value) === "[object Map]" ? null : "a Map subclass";
    }
    if (util.types.isSet(value)) {
      for (const v of value) {
        const p = problemOf(v, seen, depth + 1);
        if (p) return p;
      }
      return null;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const p = problemOf(value[i], seen, depth + 1);
        if (p) return p;
      }
      return null;
    }
    if (util.types.isPromise(value)) return "a Promise";
    if (util.types.isWeakMap(value) || util.types.isWeakSet(value)) return "a WeakMap or WeakSet";
    const proto = Object.getPrototypeOf(value);
    if (!isPlainProto(proto)) return "an instance of " + ((proto && proto.constructor && proto.constructor.name) || "a class");
    if (Object.getOwnPropertySymbols(value).length > 0) return "an object with symbol keys";
    const descriptors = Object.getOwnPropertyDescriptors(value);
    for (const key of Object.keys(descriptors)) {
      const d = descriptors[key];
      if (d.get || d.set) return "an object with a getter or setter";
      if (!d.enumerable) return "an object with a non-enumerable property";
      const p = problemOf(d.value, seen, depth + 1);
      if (p) return p;
    }
    return null;
  };

  const relative = (file) => {
    const f = file.startsWith("file://") ? require("node:url").fileURLToPath(file) : file;
    const rel = path.relative(ROOT, f);
    return rel.startsWith("..") ? f : rel.split(path.sep).join("/");
  };

  // The running test: vitest's worker state, jest's expect state, else the test file on the stack.
  const currentTest = () => {
    try {
      const w = globalThis.__vitest_worker__;
      const task = w && w.current;
      if (task && task.type === "test") {
        const names = [];
        for (let t = task; t && t.type !== undefined && t.name && t !== t.file; t = t.suite) names.unshift(t.name);
        const file = task.file && task.file.name;
        return (file ? relative(file) + " > " : "") + names.join(" > ");
      }
    } catch (e) {}
    try {
      const expect = globalThis.expect;
      const state = expect && typeof expect.getState === "function" ? expect.getState() : null;
      if (state && state.currentTestName) return (state.testPath ? relative(state.testPath) + " > " : "") + state.currentTestName;
    } catch (e) {}
    const stack = String(new Error().stack).split("\n");
    for (const line of stack) {
      const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?\s*$/.exec(line);
      if (!m || m[1].includes("node_modules") || m[1].includes("node:")) continue;
      if (/(?:^|[\/.])(?:test|spec)s?(?:[\/.])|__tests__|\/tests?\//.test(m[1])) return relative(m[1]) + ":" + m[2];
    }
    return null;
  };

  const errorOf = (e) => {
    if (e !== null && typeof e === "object") {
      return { name: String(e.name), message: String(e.message), ctor: e.constructor && e.constructor.name ? String(e.constructor.name) : null, value: null };
    }
    return { name: null, message: null, ctor: null, value: util.inspect(e, { depth: 2 }) };
  };

  const claim = (buf) => {
    while (!full && cursor < MAX_CALLS) {
      const file = path.join(DIR, String(cursor).padStart(4, "0") + ".rec");
      try {
        fs.writeFileSync(file, buf, { flag: "wx", mode: 0o644 });
        cursor++;
        return;
      } catch (e) {
        if (e && e.code === "EEXIST") {
          cursor++;
          continue;
        }
        full = true;
        return;
      }
    }
    full = true;
  };

  const write = (id, test, list, before, argsProblem, kind, value) => {
    let problem = argsProblem;
    let payload = null;
    if (!problem) {
      try {
        let outcome = null;
        let error = null;
        if (kind === "throw" || kind === "reject") error = errorOf(value);
        else {
          problem = problemOf(value, new Set(), 0);
          if (problem) problem = "a result that is " + problem;
          else outcome = v8.serialize(value);
        }
        if (!problem) {
          const afterProblem = problemOf(list, new Set(), 0);
          if (afterProblem) problem = "arguments that become " + afterProblem;
          else payload = v8.serialize({ args: before, outcome: outcome, error: error, after: v8.serialize(list) });
        }
      } catch (e) {
        problem = "values that cannot be serialised (" + String(e && e.message) + ")";
      }
      if (payload && payload.length > MAX_BYTES) {
        problem = "larger than " + MAX_BYTES + " bytes when serialised";
        payload = null;
      }
    }
    const header = Buffer.from(JSON.stringify({ id: id, test: test, kind: kind, replayable: !problem, reason: problem || null }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length, 0);
    claim(Buffer.concat([len, header, payload || Buffer.alloc(0)]));
  };

  const runtime = {
    call(id, self, args, run) {
      if (!DIR || full || active.has(id)) return run();
      let test = null;
      let argsProblem = null;
      let before = null;
      const list = Array.prototype.slice.call(args);
      try {
        test = currentTest();
        argsProblem = problemOf(list, new Set(), 0);
        if (argsProblem) argsProblem = "arguments that include " + argsProblem;
        else before = v8.serialize(list);
      } catch (e) {
        argsProblem = "arguments that cannot be serialised (" + String(e && e.message) + ")";
      }
      active.add(id);
      let result;
      try {
        result = run();
      } catch (e) {
        active.delete(id);
        write(id, test, list, before, argsProblem, "throw", e);
        throw e;
      }
      active.delete(id);
      if (result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function") {
        result.then(
          (v) => write(id, test, list, before, argsProblem, "resolve", v),
          (e) => write(id, test, list, before, argsProblem, "reject", e)
        );
        return result;
      }
      write(id, test, list, before, argsProblem, "return", result);
      return result;
    },
    wrap(id, fn, name) {
      if (typeof fn !== "function") return fn;
      const wrapped = function () {
        const self = this;
        const args = arguments;
        return runtime.call(id, self, args, () => fn.apply(self, args));
      };
      try {
        Object.defineProperty(wrapped, "name", { value: fn.name || name || "" });
        Object.defineProperty(wrapped, "length", { value: fn.length });
      } catch (e) {}
      return wrapped;
    },
    register(id, fn) {
      registry.set(id, fn);
    },
    registry: registry
  };
  globalThis[KEY] = runtime;
  globalThis.__ratchetCapture = runtime;
  try {
    process.__ratchetCapture = runtime;
  } catch (e) {}
  module.exports = runtime;
}
`
