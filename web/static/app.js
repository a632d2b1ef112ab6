// Progressive extras; every page works without this file.
// "/" jumps to the search box from anywhere on the page, as on many news sites.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var box = document.getElementById("q") || document.getElementById("kopf-suche");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
