/* The phone menu (app.css, ≤ 600 px): the 菜单 button shows or hides the entries that are not
   pinned (the pinned ones and the current page's stay on screen). A disclosure button: its
   aria-expanded says whether the list is open; Escape closes it and returns to the button.
   Without JavaScript the whole menu shows (base.html's <noscript> style). */
(function () {
  "use strict";
  var nav = document.getElementById("main-nav");
  var button = document.getElementById("menu-toggle");
  if (!nav || !button) {
    return;
  }
  function show(open) {
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      show(false);
      button.focus();
    }
  });
})();
