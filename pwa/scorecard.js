// My scorecard: the user's own monthly performance scores, as of the last sync (read-only;
// computed on the server). Each indicator with its value, weight and contribution.

import { _, formatTime, labelsOf } from "./i18n.js";
import { esc } from "./ui.js";

export const INDICATORS = () => labelsOf("score_indicator");

const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)} %`);
const num = (v, digits = 1) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

function parts(card) {
  try {
    return JSON.parse(card.indicators || "{}");
  } catch (_e) {
    return {};
  }
}

export function myCards(app, data) {
  const me = app.session.user.id;
  return [...(data.scorecard || new Map()).values()].filter((c) => c.user_id === me && !c.deleted_at).sort((a, b) => b.month.localeCompare(a.month));
}

export const scorecardScreen = {
  title: () => _("My scorecard"),
  html(app, data, params) {
    const cards = myCards(app, data);
    const card = cards.find((c) => c.month === params.get("month")) || cards[0];
    if (!card) {
      return `<h1>${esc(_("My scorecard"))}</h1><p class="muted" data-testid="no-scorecard">${esc(_("No scores yet. They appear here after your supervisor's monthly computation and a sync."))}</p>`;
    }
    const names = INDICATORS();
    const rows = Object.entries(parts(card))
      .map(([key, p]) => `<tr data-indicator="${esc(key)}"><td>${esc(names[key] || key)}</td><td>${esc(pct(p.value))}</td><td>${esc(num(p.met))} / ${esc(p.counted)}</td><td>${esc(num(p.weight, 0))}</td><td>${esc(num(p.contribution))}</td></tr>`)
      .join("");
    return `
      <h1>${esc(_("My scorecard"))} · ${esc(card.month)}</h1>
      <section class="card">
        <p data-testid="score">${esc(_("Score"))}: <b>${card.score === null ? esc(_("no score")) : esc(num(card.score))}</b></p>
        <p class="muted">${esc(_("As of the last sync"))}: ${esc(app.lastSync ? formatTime(app.lastSync) : _("never"))} · ${esc(_("computed %(at)s", { at: formatTime(card.computed_at) }))}</p>
      </section>
      <table class="list" data-testid="indicators">
        <thead><tr><th>${esc(_("Indicator"))}</th><th>${esc(_("Value"))}</th><th>${esc(_("Counted"))}</th><th>${esc(_("Weight"))}</th><th>${esc(_("Contribution"))}</th></tr></thead>
        <tbody>${rows}</tbody>
      </table>
      <p class="muted">${esc(_("Score = 100 × Σ weight × value ÷ Σ weight, over the indicators that apply (some record counted)."))}</p>
      ${cards.length > 1 ? `<nav class="tiles">${cards.map((c) => `<a href="/m/scorecard?month=${esc(c.month)}" data-link>${esc(c.month)} <b>${c.score === null ? "–" : esc(num(c.score))}</b></a>`).join("")}</nav>` : ""}`;
  },
};
