// Property-based tests run with a fixed seed so the suite is deterministic; set FC_SEED to explore others.
import fc from "fast-check"

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261126) })
