// The receipt's "Stampa" button: the browser's print dialog (the page works without it too).
document.getElementById("stampa")?.addEventListener("click", () => window.print());
