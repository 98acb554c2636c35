// Seeded variants (older JavaScript with semicolons, var, prototype methods and module.exports): a small store.
'use strict';

function Store(records) {
  this.records = records;
}

Store.prototype.groupByType = function () {
  return this.records.reduce(function (acc, r) {
    return { ...acc, [r.type]: [...(acc[r.type] || []), r] }; // expect: reduce-spread
  }, {});
};

Store.prototype.ids = function () {
  return this.records.reduce(function (ids, r) {
    if (r.deleted) return ids;
    if (r.id) return [...ids, r.id]; // expect: reduce-spread
    return ids;
  }, []);
};

Store.prototype.hasDeleted = function () {
  return this.records.filter(function (r) { return r.deleted; }).length == 0 ? 'clean' : 'dirty'; // expect: filter-length
};

Store.prototype.byName = function (name) {
  return this.records.filter(function (r) { return r.name === name; })[0]; // expect: filter-first
};

function isVisible(r) {
  return !r.hidden && r.name !== '';
}

Store.prototype.anyVisible = function () {
  return this.records.filter(function (r) { return isVisible(r); }).length > 0; // expect: filter-length
};

Store.prototype.firstJson = function () {
  return this.records.filter(function (r) { return r.file.endsWith('.json'); })[0]; // expect: filter-first
};

Store.prototype.amounts = function () {
  const fmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2 }); // expect: constant-constructor
  return this.records.map(function (r) { return fmt.format(r.amount); });
};

Store.prototype.isKnownType = function (type) {
  return new Set(['user', 'group', 'role']).has(type); // expect: constant-constructor
};

Store.prototype.text = function (buffer) {
  return new TextDecoder().decode(buffer); // expect: constant-constructor
};

Store.prototype.prefixes = function () {
  return this.records.map(function (r) { return r.key.split(':')[0]; }); // expect: split-first
};

Store.prototype.flags = function (options) {
  var flags = [];
  for (var [key, value] of Object.entries(options)) { // expect: entries-unused
    if (value === true) flags.push('--enabled');
  }
  return flags;
};

Store.prototype.fieldNames = function (record) {
  return Object.entries(record).map(([field, value]) => field); // expect: entries-unused
};

module.exports = { Store: Store };
