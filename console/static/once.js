// Forms marked data-once: the first submit disables their button, so a double click sends one request.
// The server refuses a second "Chiama" anyway; this only spares the operator a second page load.
for (const form of document.querySelectorAll("form[data-once]")) {
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button")) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
  });
}
