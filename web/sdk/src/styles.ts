/**
 * Shadow-root styles of <orqestra-bell>. Every colour and size is a CSS custom property so a
 * host page themes the bell from outside (custom properties inherit into the shadow root);
 * finer changes go through ::part().
 */
export const bellStyles: string = `
:host {
  --_fg: var(--orq-color, #1f2328);
  --_muted: var(--orq-muted-color, #59636e);
  --_bg: var(--orq-panel-bg, #ffffff);
  --_border: var(--orq-border-color, #d1d9e0);
  --_accent: var(--orq-accent-color, #0969da);
  --_unread-bg: var(--orq-unread-bg, #ddf4ff);
  --_hover-bg: var(--orq-hover-bg, #f6f8fa);
  --_badge-bg: var(--orq-badge-bg, #cf222e);
  --_badge-fg: var(--orq-badge-color, #ffffff);
  --_radius: var(--orq-radius, 8px);
  display: inline-block;
  position: relative;
  font-family: var(--orq-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: var(--orq-font-size, 14px);
  line-height: 1.4;
  color: var(--_fg);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.bell {
  position: relative;
  display: inline-flex; align-items: center; justify-content: center;
  width: var(--orq-bell-size, 40px); height: var(--orq-bell-size, 40px);
  padding: 0; border: 0; border-radius: 50%;
  background: var(--orq-bell-bg, transparent);
  color: var(--orq-bell-color, currentColor);
  cursor: pointer;
}
.bell:hover { background: var(--orq-bell-hover-bg, rgba(127, 127, 127, 0.15)); }
.bell:focus-visible, .item:focus-visible, .action:focus-visible {
  outline: 2px solid var(--orq-focus-color, var(--_accent));
  outline-offset: 2px;
}
.bell svg { width: 60%; height: 60%; }
.badge {
  position: absolute; top: 2px; left: 55%;
  min-width: 18px; height: 18px; padding: 0 5px;
  border-radius: 9px;
  background: var(--_badge-bg); color: var(--_badge-fg);
  font-size: 11px; font-weight: 700; line-height: 18px; text-align: center;
  box-shadow: 0 0 0 2px var(--orq-badge-ring, #ffffff);
}
.badge[hidden] { display: none; }
.panel {
  position: absolute; top: calc(100% + 6px); right: 0;
  z-index: var(--orq-z-index, 1000);
  width: var(--orq-panel-width, 360px); max-width: calc(100vw - 16px);
  background: var(--_bg); color: var(--_fg);
  border: 1px solid var(--_border); border-radius: var(--_radius);
  box-shadow: var(--orq-shadow, 0 8px 24px rgba(31, 35, 40, 0.18));
  overflow: hidden;
}
:host([align="start"]) .panel { right: auto; left: 0; }
.panel[hidden] { display: none; }
.header {
  display: flex; align-items: center; justify-content: space-between; gap: 8px;
  padding: 10px 14px; border-bottom: 1px solid var(--_border);
}
.heading { margin: 0; font-size: 1em; font-weight: 600; }
.action {
  border: 0; background: none; padding: 2px 4px; border-radius: 4px;
  color: var(--_accent); font: inherit; font-size: 0.9em; cursor: pointer;
}
.action:hover { text-decoration: underline; }
.action[disabled] { color: var(--_muted); cursor: default; text-decoration: none; }
.list { max-height: var(--orq-panel-max-height, 420px); overflow-y: auto; }
.list:empty { display: none; }
.item {
  position: relative; display: flex; gap: 10px;
  padding: 10px 14px 10px 12px;
  border-bottom: 1px solid var(--_border);
  cursor: pointer; outline: none;
}
.item:last-child { border-bottom: 0; }
.item:focus-visible { outline-offset: -3px; }
.item:hover { background: var(--_hover-bg); }
.item[data-status="UNREAD"] {
  background: var(--_unread-bg);
  box-shadow: inset 3px 0 0 var(--_accent);
}
.item[data-status="UNREAD"]:hover { filter: brightness(0.97); }
.dot {
  flex: none; width: 8px; height: 8px; margin-top: 6px; border-radius: 50%;
  background: transparent;
}
.item[data-status="UNREAD"] .dot { background: var(--_accent); }
.content { min-width: 0; flex: 1; }
.title { font-weight: 400; overflow-wrap: anywhere; }
.item[data-status="UNREAD"] .title { font-weight: 700; }
.item[data-status="READ"] .title, .item[data-status="READ"] .body { color: var(--_muted); }
.body { margin-top: 2px; overflow-wrap: anywhere; white-space: pre-line; }
.time { display: block; margin-top: 4px; color: var(--_muted); font-size: 0.85em; }
.status { padding: 24px 14px; text-align: center; color: var(--_muted); }
.status[hidden], .footer[hidden] { display: none; }
.status.error { color: var(--orq-error-color, #cf222e); }
.footer { padding: 8px 14px; border-top: 1px solid var(--_border); text-align: center; }
`;

/** Bell outline icon (24x24, stroke uses currentColor). */
export const bellIcon: string = `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.73 21a2 2 0 0 1-3.46 0"/></svg>`;
