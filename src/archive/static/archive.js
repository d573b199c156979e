/* The one script of the pages (no framework): on a phone the header's menu folds behind a button.
   Without this script the menu simply stays open. */
document.documentElement.classList.add('js');
document.addEventListener('DOMContentLoaded', function () {
  var button = document.querySelector('header.top .menu-toggle');
  if (!button) { return; }
  button.addEventListener('click', function () {
    var open = document.querySelector('header.top').classList.toggle('open');
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
});
