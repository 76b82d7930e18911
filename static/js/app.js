// Small enhancements only: every page works without this file.

// Live character count under capped text fields (the server prints the same count after a submit).
for (const counter of document.querySelectorAll("[data-counter-for]")) {
  const field = document.getElementById(counter.dataset.counterFor);
  if (!field || !field.dataset.max) continue;
  const max = Number(field.dataset.max);
  const update = () => {
    const count = [...field.value.trim()].length;
    const over = count - max;
    counter.textContent = over > 0
      ? `${max} caractères au plus — ${count} saisis, ${over} de trop.`
      : `${max} caractères au plus — ${count} saisi${count > 1 ? "s" : ""}.`;
    counter.classList.toggle("fr-error-text", over > 0);
  };
  field.addEventListener("input", update);
}

// "Copy" buttons: shown only when the clipboard can be used; the text stays selectable anyway.
for (const button of document.querySelectorAll("[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Lien copié";
  });
}

// "Imprimer" buttons: the browser's print dialog (the page says how to print without them).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
