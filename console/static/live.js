// The live console: every few seconds ask /console/live whether anything changed (ETag, 304 while
// nothing did), then update the header's badge, show a "nuovi messaggi" hint, and refresh the
// callback list's counts and rows, the presence board, the operator's own state and the call ringing
// them (number, topic, language, a prefilled «Nuova richiesta») in place, without reloading the page.
(() => {
  "use strict";
  const body = document.body;
  const url = body.dataset.live;
  if (!url) return;
  const VISIBLE_EVERY = 3000, HIDDEN_EVERY = 15000;
  let tag = body.dataset.liveTag ? `"${body.dataset.liveTag}"` : null;
  const seenMessage = Number(body.dataset.liveMessage || 0);
  let presence = body.dataset.livePresence || "";
  let me = body.dataset.liveMe || "";
  let timer = null;

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(poll, document.hidden ? HIDDEN_EVERY : VISIBLE_EVERY);
  };

  // Replace the elements named by `ids` with their fresh copies from `source` (this page by default).
  const refresh = async (ids, source = location.href) => {
    const response = await fetch(source, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok || response.redirected) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ids) {
      const old = document.getElementById(id), now = fresh.getElementById(id);
      if (!old || !now) continue;
      const focused = old.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
      old.replaceWith(document.adoptNode(now));
      if (focused) now.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
    }
  };

  const hint = (text, link) => {
    const box = document.getElementById("novita");
    if (!box) return;
    const paragraph = document.createElement("p");
    paragraph.append(text);
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      paragraph.append(" ", anchor);
    }
    box.replaceChildren(paragraph);
  };

  const apply = async (state) => {
    const badge = document.getElementById("badge-richiamate");
    if (badge) badge.textContent = String(state.due);
    const list = document.getElementById("elenco-richiamate");
    const firstPage = list && list.dataset.firstPage === "1";
    if (list) await refresh(firstPage ? ["conteggi", "elenco-richiamate"] : ["conteggi"], list.dataset.live);
    const box = document.getElementById("novita");
    if (box && state.newest_message > seenMessage) {  // the words are the page's (data-*), not the script's
      const time = new Date().toLocaleTimeString("it-IT", { hour: "2-digit", minute: "2-digit" });
      const link = firstPage ? null : { href: badge?.closest("a")?.href || "/console/callbacks", text: box.dataset.link };
      hint((firstPage ? box.dataset.here : box.dataset.elsewhere).replace("{ora}", time), link);
    }
    if (state.presence !== presence && document.getElementById("tabellone")) await refresh(["tabellone"]);
    presence = state.presence;
    // The operator's own state and call (the screen pop): the header's form and the call box, as the server words them.
    const mine = state.me ? state.me.key : "";
    if (mine !== me) {
      await refresh(["mia-presenza", "chiamata-in-corso"], body.dataset.liveMeUrl);
      me = mine;
    }
  };

  const poll = async () => {
    try {
      const headers = tag ? { "If-None-Match": tag } : {};
      const response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
      if (response.redirected || (!response.ok && response.status !== 304)) return;  // signed out: stop
      if (response.status === 200) {
        tag = response.headers.get("ETag");
        await apply(await response.json());
      }
    } catch (error) {
      // The network or the server is away for a moment: try again at the next tick.
    }
    schedule();
  };

  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  schedule();
})();
