/**
 * The dashboard's only static files: one stylesheet and one small script, served from the
 * server itself under content-hashed names (cached for a year, never from a CDN), so the
 * Content-Security-Policy can stay `'self'` with no inline code or styles.
 *
 * The script is progressive enhancement: every page works without it. With it, a run page
 * follows the run's Server-Sent Events and refreshes its timeline as stages start and finish.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import { themeCss } from "./highlight.js"

const baseCss = `
:root{
  --bg:#f5f6f8;--surface:#fff;--surface-2:#f8f9fb;--text:#1c2128;--muted:#5b6571;--faint:#8a94a0;
  --border:#dde2e8;--border-strong:#c5ccd5;--accent:#4338ca;--accent-2:#4f46e5;--accent-weak:#eef0ff;
  --good:#137333;--good-bg:#e3f5e8;--bad:#c5221f;--bad-bg:#fde8e7;--warn:#8a5a00;--warn-bg:#fff4d6;
  --info:#0b57d0;--info-bg:#e6efff;--add-bg:#e9f8ee;--add-no:#d2f0dc;--add-word:#a9e5bb;
  --del-bg:#fdeeee;--del-no:#f8d7d7;--del-word:#f5b3b3;--hunk:#eef2fb;
  --shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);
  --radius:10px;--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;
  color-scheme:light dark;
}
@media (prefers-color-scheme:dark){:root{
  --bg:#0f1217;--surface:#171b22;--surface-2:#1d222a;--text:#e6e9ee;--muted:#a2abb6;--faint:#77818d;
  --border:#2b323c;--border-strong:#3a424e;--accent:#a5b4fc;--accent-2:#818cf8;--accent-weak:#23264a;
  --good:#6fd08c;--good-bg:#16321f;--bad:#ff8a80;--bad-bg:#3a1a1a;--warn:#f2c46d;--warn-bg:#3a2e12;
  --info:#8ab4f8;--info-bg:#182a46;--add-bg:#13291b;--add-no:#183822;--add-word:#1f5a33;
  --del-bg:#2d1719;--del-no:#3d1d20;--del-word:#6b2a2e;--hunk:#1b2233;
  --shadow:0 1px 2px rgba(0,0,0,.4);
}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--accent-2);text-decoration:none}
a:hover{text-decoration:underline}
:focus-visible{outline:3px solid var(--accent-2);outline-offset:2px;border-radius:4px}
code,pre,.mono{font-family:var(--mono);font-size:.88em;overflow-wrap:anywhere}
h1{font-size:1.55rem;line-height:1.25;margin:0 0 .25rem}
h2{font-size:1.1rem;margin:0 0 .75rem}
h3{font-size:.95rem;margin:1rem 0 .5rem}
p{margin:.4rem 0}
.vh{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.skip{position:absolute;left:-999px;top:8px;background:var(--surface);padding:8px 12px;z-index:10;border-radius:6px}
.skip:focus{left:8px}
.topbar{background:var(--surface);border-bottom:1px solid var(--border);position:sticky;top:0;z-index:5}
.topbar .inner{max-width:1240px;margin:0 auto;padding:0 20px;display:flex;align-items:center;gap:20px;min-height:56px;flex-wrap:wrap}
.brand{display:flex;align-items:center;gap:9px;font-weight:700;font-size:1.05rem;color:var(--text)}
.brand:hover{text-decoration:none}
.brand svg{color:var(--accent-2)}
.nav{display:flex;gap:4px;flex-wrap:wrap}
.nav a{color:var(--muted);padding:7px 11px;border-radius:8px;font-weight:500;display:flex;align-items:center;gap:6px}
.nav a:hover{background:var(--surface-2);text-decoration:none;color:var(--text)}
.nav a[aria-current=page]{background:var(--accent-weak);color:var(--accent)}
.count{background:var(--accent-2);color:#fff;border-radius:999px;font-size:.72rem;padding:0 7px;line-height:18px;font-weight:700}
.who{margin-left:auto;display:flex;align-items:center;gap:10px;color:var(--muted);font-size:.88rem}
main{max-width:1240px;margin:0 auto;padding:24px 20px 64px}
.page-head{display:flex;align-items:flex-start;justify-content:space-between;gap:16px;flex-wrap:wrap;margin-bottom:18px}
.page-head .meta{color:var(--muted);font-size:.9rem;display:flex;gap:6px 14px;flex-wrap:wrap;align-items:center}
.crumbs{font-size:.85rem;color:var(--muted);margin-bottom:6px}
.crumbs a{color:var(--muted)}
.card{background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);box-shadow:var(--shadow);padding:18px 20px;margin-bottom:18px}
.card.flush{padding:0;overflow:hidden}
.card.flush>h2{padding:16px 20px 0}
.card-head{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:10px}
.card-head h2{margin:0}
.grid{display:grid;gap:18px}
.grid.two{grid-template-columns:minmax(0,1.6fr) minmax(0,1fr)}
.grid.halves{grid-template-columns:1fr 1fr}
@media (max-width:900px){.grid.two,.grid.halves{grid-template-columns:1fr}}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:18px}
.stat-tile{background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);padding:12px 16px;box-shadow:var(--shadow)}
.stat-tile .k{color:var(--muted);font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;font-weight:600}
.stat-tile .v{font-size:1.45rem;font-weight:700;margin-top:2px;font-variant-numeric:tabular-nums}
.stat-tile .v.good{color:var(--good)}
.stat-tile .s{color:var(--muted);font-size:.82rem}
.table-wrap{overflow-x:auto}
table.list{width:100%;border-collapse:collapse;font-size:.92rem}
table.list th{text-align:left;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;padding:10px 14px;border-bottom:1px solid var(--border);background:var(--surface-2);white-space:nowrap}
table.list td{padding:11px 14px;border-bottom:1px solid var(--border);vertical-align:top}
table.list tr:last-child td{border-bottom:0}
table.list tbody tr:hover{background:var(--surface-2)}
table.list .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.list .title a{font-weight:600;color:var(--text)}
table.list .sub{color:var(--muted);font-size:.82rem}
@media (max-width:720px){table.list .opt{display:none}}
.muted{color:var(--muted)}
.faint{color:var(--faint)}
.small{font-size:.85rem}
.nowrap{white-space:nowrap}
.pill{display:inline-flex;align-items:center;gap:6px;font-size:.76rem;font-weight:650;padding:2px 9px;border-radius:999px;white-space:nowrap;border:1px solid transparent;line-height:1.5}
.pill::before{content:"";width:7px;height:7px;border-radius:50%;background:currentColor}
.pill.succeeded,.pill.approved,.pill.accepted,.pill.performance{color:var(--good);background:var(--good-bg)}
.pill.failed,.pill.rejected,.pill.block{color:var(--bad);background:var(--bad-bg)}
.pill.running{color:var(--info);background:var(--info-bg)}
.pill.running::before{animation:pulse 1.2s ease-in-out infinite}
.pill.queued,.pill.cancelled,.pill.neutral,.pill.tech-debt{color:var(--muted);background:var(--surface-2);border-color:var(--border)}
.pill.pending,.pill.warn,.pill.paused{color:var(--warn);background:var(--warn-bg)}
.pill.changes-requested{color:#9a3412;background:#ffedd5}
@media (prefers-color-scheme:dark){.pill.changes-requested{color:#fdba74;background:#3b2412}}
.pill.plain::before{display:none}
@keyframes pulse{50%{opacity:.3}}
@media (prefers-reduced-motion:reduce){.pill.running::before,.spin{animation:none!important}}
.btn{display:inline-flex;align-items:center;justify-content:center;gap:7px;font:inherit;font-weight:600;font-size:.9rem;padding:8px 15px;border-radius:8px;border:1px solid var(--border-strong);background:var(--surface);color:var(--text);cursor:pointer;min-height:38px;text-decoration:none;white-space:nowrap}
.btn:hover{background:var(--surface-2);text-decoration:none}
.btn.primary{background:var(--accent-2);border-color:var(--accent-2);color:#fff}
.btn.primary:hover{background:var(--accent)}
@media (prefers-color-scheme:dark){.btn.primary{color:#0f1217}}
.btn.good{background:var(--good);border-color:var(--good);color:#fff}
.btn.good:hover{filter:brightness(.92)}
@media (prefers-color-scheme:dark){.btn.good{color:#0f1217}}
.btn.danger{color:var(--bad);border-color:var(--bad)}
.btn.danger:hover{background:var(--bad-bg)}
.btn.small{padding:4px 10px;min-height:30px;font-size:.82rem}
.btn[disabled]{opacity:.5;cursor:not-allowed}
.actions{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
form.inline{display:inline}
.field{display:flex;flex-direction:column;gap:5px;margin-bottom:14px}
.field label,.field .label{font-weight:600;font-size:.88rem}
.field .hint{color:var(--muted);font-size:.8rem}
.fields{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:0 16px}
fieldset{border:1px solid var(--border);border-radius:8px;padding:12px 16px 2px;margin:0 0 16px;min-width:0}
.settings-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:0 16px}
legend{font-weight:650;font-size:.9rem;padding:0 6px}
input[type=text],input[type=password],input[type=number],input[type=search],select,textarea{font:inherit;font-size:.92rem;color:var(--text);background:var(--surface);border:1px solid var(--border-strong);border-radius:8px;padding:8px 10px;min-height:38px;width:100%}
textarea{min-height:70px;resize:vertical}
input:focus,select:focus,textarea:focus{outline:none;border-color:var(--accent-2);box-shadow:0 0 0 3px var(--accent-weak)}
.seg{display:inline-flex;border:1px solid var(--border-strong);border-radius:8px;overflow:hidden}
.seg a{padding:5px 11px;font-size:.82rem;color:var(--muted);font-weight:600}
.seg a+a{border-left:1px solid var(--border-strong)}
.seg a[aria-current=true]{background:var(--accent-weak);color:var(--accent)}
.seg a:hover{text-decoration:none;background:var(--surface-2)}
.flash{border-radius:var(--radius);padding:12px 16px;margin-bottom:18px;border:1px solid;display:flex;gap:10px;align-items:flex-start}
.flash.ok{background:var(--good-bg);border-color:var(--good);color:var(--good)}
.flash.error{background:var(--bad-bg);border-color:var(--bad);color:var(--bad)}
.flash.info{background:var(--info-bg);border-color:var(--info);color:var(--info)}
.flash .body{color:var(--text);min-width:0;overflow-wrap:anywhere}
.prose p{margin:0 0 .6rem}
.prose code{background:var(--surface-2);border:1px solid var(--border);border-radius:4px;padding:0 4px}
.empty-state{text-align:center;padding:36px 20px;color:var(--muted)}
.empty-state h2{color:var(--text)}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0;font-size:.9rem}
.kv dt{color:var(--muted)}
.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
.hash{font-family:var(--mono);font-size:.8rem;background:var(--surface-2);border:1px solid var(--border);border-radius:6px;padding:1px 6px;overflow-wrap:anywhere}
.meter{height:8px;border-radius:4px;background:var(--surface-2);border:1px solid var(--border);overflow:hidden;width:120px;display:inline-block;vertical-align:middle}
meter{width:110px;height:12px;vertical-align:middle}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-end;margin-bottom:14px}
.filters .field{margin:0;min-width:150px}
/* timeline */
.timeline{list-style:none;margin:0;padding:0}
.timeline li{display:grid;grid-template-columns:28px 110px minmax(0,1fr) 90px;gap:12px;align-items:center;padding:9px 0;border-bottom:1px dashed var(--border)}
.timeline li:last-child{border-bottom:0}
.attempt .pill,.checks .pill{align-self:start}
.timeline .icon{width:24px;height:24px;border-radius:50%;display:grid;place-items:center;font-size:.8rem;font-weight:800;border:2px solid var(--border-strong);color:var(--faint);background:var(--surface)}
.timeline .succeeded .icon{border-color:var(--good);background:var(--good);color:#fff}
.timeline .failed .icon{border-color:var(--bad);background:var(--bad);color:#fff}
.timeline .running .icon{border-color:var(--info);border-top-color:transparent;animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
.timeline .name{font-weight:650}
.timeline .detail{color:var(--muted);font-size:.84rem;min-width:0}
.timeline .dur{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.timeline .err{color:var(--bad);font-size:.84rem;white-space:pre-wrap;overflow-wrap:anywhere}
.gantt{width:100%;height:auto;display:block;margin-top:6px}
.gantt .track{fill:var(--surface-2)}
.gantt .bar.succeeded{fill:var(--good)}
.gantt .bar.failed{fill:var(--bad)}
.gantt .bar.running{fill:var(--info)}
.gantt text{fill:var(--muted);font-size:11px;font-family:system-ui,sans-serif}
@media (max-width:640px){.timeline li{grid-template-columns:28px 1fr auto;row-gap:2px}.timeline .icon{grid-row:1}.timeline .name{grid-column:2;grid-row:1}.timeline .dur{grid-column:3;grid-row:1}.timeline .detail{grid-column:2/4;grid-row:2}}
.log{background:#0d1117;color:#d7dde5;border-radius:8px;padding:12px 14px;font-family:var(--mono);font-size:.78rem;line-height:1.45;max-height:360px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0 0}
details{border:1px solid var(--border);border-radius:8px;margin-bottom:8px;background:var(--surface)}
details>summary{cursor:pointer;padding:9px 12px;font-weight:600;display:flex;gap:10px;align-items:center;flex-wrap:wrap;list-style:none}
details>summary::-webkit-details-marker{display:none}
details>summary::before{content:"▸";color:var(--muted);transition:transform .15s}
details[open]>summary::before{transform:rotate(90deg)}
details>.inner{padding:0 12px 12px}
.events{list-style:none;margin:0;padding:0;font-size:.84rem;max-height:320px;overflow:auto}
.events li{display:grid;grid-template-columns:80px 1fr;gap:10px;padding:5px 0;border-bottom:1px solid var(--border)}
.events time{color:var(--muted);font-variant-numeric:tabular-nums}
.attempt{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;padding:10px 0;border-bottom:1px solid var(--border)}
.attempt:last-child{border-bottom:0}
.attempt .why{grid-column:2;color:var(--muted);font-size:.86rem;overflow-wrap:anywhere}
/* proposal */
.verdict{display:flex;gap:16px;align-items:center;flex-wrap:wrap;padding:14px 18px;border-radius:var(--radius);border:1px solid var(--border);background:var(--surface);box-shadow:var(--shadow);margin-bottom:18px}
.verdict .big{font-size:2rem;font-weight:800;font-variant-numeric:tabular-nums;line-height:1}
.verdict .big.good{color:var(--good)}
.verdict .big.neutral{color:var(--muted)}
.verdict .facts{display:flex;gap:8px 18px;flex-wrap:wrap;color:var(--muted);font-size:.9rem}
.verdict .facts b{color:var(--text)}
.summary-text{white-space:pre-wrap}
.decide textarea{margin-bottom:10px}
.ledger{list-style:none;margin:0;padding:0;position:relative}
.ledger li{position:relative;padding:0 0 14px 22px}
.ledger li::before{content:"";position:absolute;left:5px;top:7px;width:9px;height:9px;border-radius:50%;background:var(--accent-2)}
.ledger li::after{content:"";position:absolute;left:9px;top:18px;bottom:0;width:1px;background:var(--border)}
.ledger li:last-child::after{display:none}
.ledger .when{color:var(--muted);font-size:.8rem}
.checks{list-style:none;margin:0;padding:0}
.checks li{display:flex;gap:10px;align-items:flex-start;padding:6px 0;border-bottom:1px solid var(--border);font-size:.9rem}
.checks li:last-child{border-bottom:0}
.ok-mark{color:var(--good);font-weight:800}
.bad-mark{color:var(--bad);font-weight:800}
.warn-mark{color:var(--warn);font-weight:800}
audio{width:100%;max-width:420px;margin-top:6px}
/* chart */
.chart{width:100%;height:auto;display:block;max-width:820px}
.chart text{font-family:system-ui,sans-serif;fill:var(--muted);font-size:12px}
.chart .ch-title{fill:var(--text);font-weight:650;font-size:13px}
.chart .label{fill:var(--text);font-weight:650;font-size:13px}
.chart .sub{font-size:11px}
.chart .tick{font-size:11px}
.chart .grid{stroke:var(--border);stroke-width:1}
.chart .zero{stroke:var(--text);stroke-width:1.5}
.chart .threshold{stroke:var(--warn);stroke-width:1.5;stroke-dasharray:5 4}
.chart .iqr{fill:none;stroke-width:1.5}
.chart .box.before .iqr,.chart .box.before .whisker{stroke:#8b95a3}
.chart .box.after .iqr,.chart .box.after .whisker{stroke:var(--accent-2)}
.chart .whisker{stroke-width:1.5}
.chart .median{stroke-width:3;stroke-linecap:round}
.chart .median.before{stroke:#6b7684}
.chart .median.after{stroke:var(--accent)}
.chart .dot{fill-opacity:.55}
.chart .dot.before{fill:#8b95a3}
.chart .dot.after{fill:var(--accent-2)}
.chart .ci.good{fill:var(--good);fill-opacity:.28;stroke:var(--good)}
.chart .ci.weak{fill:var(--warn);fill-opacity:.25;stroke:var(--warn)}
.chart .est.good{fill:var(--good)}
.chart .est.weak{fill:var(--warn)}
/* diff */
.diff-file{border:1px solid var(--border);border-radius:8px;margin-bottom:14px;overflow:hidden;background:var(--surface)}
.diff-file-head{display:flex;justify-content:space-between;gap:10px;padding:8px 12px;background:var(--surface-2);border-bottom:1px solid var(--border);font-size:.88rem;flex-wrap:wrap}
.diff-file-head code{font-weight:650;overflow-wrap:anywhere}
.stat .plus{color:var(--good);font-weight:700}
.stat .minus{color:var(--bad);font-weight:700}
.diff-scroll{overflow-x:auto}
.diff table{border-collapse:collapse;width:100%;font-family:var(--mono);font-size:12.5px;line-height:1.55;table-layout:fixed}
.diff .split table{min-width:760px}
.diff col.c-no{width:46px}
.diff td{padding:0 8px;vertical-align:top}
.diff td.code{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}
.diff td.no{text-align:right;color:var(--faint);user-select:none;font-size:11.5px;padding-top:1px}
.diff td.no.add{background:var(--add-no)}
.diff td.no.del{background:var(--del-no)}
.diff td.code.add{background:var(--add-bg)}
.diff td.code.del{background:var(--del-bg)}
.diff td.empty{background:var(--surface-2)}
.diff .split td.code.del+td.no,.diff .split td.empty+td.no,.diff .split td.code.ctx+td.no{border-left:1px solid var(--border)}
.diff .sign{display:inline-block;width:1.3em;color:var(--faint);user-select:none}
.diff td.add .sign{color:var(--good)}
.diff td.del .sign{color:var(--bad)}
.diff .add .wc{background:var(--add-word);border-radius:2px}
.diff .del .wc{background:var(--del-word);border-radius:2px}
.diff tr.hunk td{background:var(--hunk);color:var(--muted);padding:3px 10px;font-size:11.5px}
.diff.view-auto .unified{display:none}
@media (max-width:820px){.diff.view-auto .split{display:none}.diff.view-auto .unified{display:block}}
.diff.view-split .unified{display:none}
.diff.view-unified .split{display:none}
.login{max-width:420px;margin:8vh auto 0}
.login .brand{justify-content:center;font-size:1.4rem;margin-bottom:18px}
.footer{color:var(--faint);font-size:.8rem;text-align:center;margin-top:30px}
.chart-narrow{display:none}
@media (max-width:640px){
  main{padding:16px 12px 48px}
  .topbar .inner{padding:8px 12px 0;gap:4px 12px}
  .who{order:2;margin-left:auto}
  .who .label{display:none}
  .nav{order:3;width:100%;flex-wrap:nowrap;overflow-x:auto;margin:0 -6px;padding-bottom:6px}
  .nav a{padding:6px 9px;white-space:nowrap}
  .chart-wide{display:none}
  .chart-narrow{display:block}
  h1{font-size:1.3rem}
  .card{padding:14px}
  .verdict .big{font-size:1.6rem}
}
`

const clientJs = `"use strict";
(function () {
  // Live run pages: follow the run's Server-Sent Events and refresh the server-rendered timeline.
  var live = document.querySelector("[data-live-run]");
  if (live && "EventSource" in window && "fetch" in window) {
    var finished = ["run.succeeded", "run.failed", "run.cancelled"];
    var types = ["run.queued", "run.started", "run.cancel-requested", "stage.started", "stage.completed", "stage.failed",
      "proposal.created", "proposal.published", "message"].concat(finished);
    var status = document.getElementById("live-status");
    var timer = null;
    var inflight = false;
    var again = false;
    var refresh = function () {
      if (inflight) { again = true; return; }
      inflight = true;
      fetch(live.getAttribute("data-fragment"), { credentials: "same-origin", headers: { "accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) live.innerHTML = html; })
        .catch(function () {})
        .then(function () { inflight = false; if (again) { again = false; refresh(); } });
    };
    var schedule = function () { if (timer) clearTimeout(timer); timer = setTimeout(refresh, 120); };
    var source = new EventSource(live.getAttribute("data-events"));
    var seen = 0;
    types.forEach(function (type) {
      source.addEventListener(type, function (event) {
        seen++;
        if (status) status.textContent = "Live: " + type.replace(".", " ") + " (" + seen + " events)";
        schedule();
        if (finished.indexOf(type) >= 0) {
          source.close();
          if (status) status.textContent = "Run finished.";
          // the final status is written just after the final event: refresh once more to show it
          setTimeout(refresh, 500);
          setTimeout(refresh, 1500);
          Array.prototype.forEach.call(document.querySelectorAll("[data-while-running]"), function (el) { el.remove(); });
        }
      });
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED && status) status.textContent = "Live updates stopped; reload the page.";
    });
    if (status) status.textContent = "Live: connected";
  }
  // Forms that ask before they act (data-confirm="…").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
`

const hashOf = (text: string): string => Crypto.createHash("sha256").update(text).digest("hex").slice(0, 12)

interface Asset {
  readonly path: string
  readonly body: string
  readonly type: string
}

let assets: { readonly css: Asset; readonly js: Asset } | undefined

/** The stylesheet and script with their content-hashed paths (under the dashboard's base path). */
export const getAssets = (): { readonly css: Asset; readonly js: Asset } => {
  if (assets === undefined) {
    const css = `${baseCss}${themeCss()}`
    assets = {
      css: { path: `assets/app.${hashOf(css)}.css`, body: css, type: "text/css; charset=utf-8" },
      js: { path: `assets/app.${hashOf(clientJs)}.js`, body: clientJs, type: "text/javascript; charset=utf-8" }
    }
  }
  return assets
}
