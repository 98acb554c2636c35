// Seeded variants (classic browser script, no import/export/require): top-level functions are globals.

function toggleMenu() { // unsafe: dead-code
  document.body.classList.toggle("menu-open")
}
