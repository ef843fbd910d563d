// Applies the saved or system theme before first paint, so dark mode never flashes light.
(function () {
  try {
    var saved = localStorage.getItem("abetworks-theme");
    var dark = saved ? saved === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
    document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
  } catch (e) {
    document.documentElement.setAttribute("data-theme", "light");
  }
})();
