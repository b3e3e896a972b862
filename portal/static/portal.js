// Progressive enhancement only: the server re-checks everything these controls gate.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input[type=checkbox][data-enables]")) {
    const target = document.getElementById(box.dataset.enables);
    const sync = () => { target.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  }
});
