"use strict"
// Seeded variants (CommonJS with eval): a helper only reachable through dynamic code.

function double(x) { // unsafe: dead-code
  return x * 2
}

// the helper is named only inside the evaluated string
exports.run = (source) => eval(source)
