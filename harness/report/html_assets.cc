#include "harness/report/html_assets.h"

namespace lbchaos::report {

std::string_view html_style() {
  return R"CSS(
:root{--fg:#1d2430;--muted:#5c6675;--line:#e3e6eb;--bg:#f6f7f9;--card:#fff;--pass:#2f8f55;
--fail:#c9302c;--error:#b35c00}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0}
a{color:#2257a8;text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;
margin:18px 0;box-shadow:0 1px 2px rgba(20,30,50,.04)}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;font-weight:600;
letter-spacing:.03em;text-transform:uppercase;color:#fff;vertical-align:middle;white-space:nowrap}
.v-passed,.v-pass{background:var(--pass)}.v-failed,.v-fail{background:var(--fail)}
.v-error,.v-interrupted{background:var(--error)}
.verdict-line{font-size:16px;margin:10px 0 4px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.row-fail td,tr.row-error td{background:#fdf3f2}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:12px 0;font-size:13px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.section-head{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.section-head .back{margin-left:auto;font-size:13px}
.figure{overflow-x:auto;margin:10px 0 4px}
svg.timeline{display:block;width:100%;height:auto;font-size:11px}
.readout{font-size:12px;color:var(--muted);min-height:1.5em;padding:2px 0 0 6px}
.tools{font-size:12px;color:var(--muted)}
.tools button{font:inherit;border:1px solid var(--line);background:#fff;border-radius:6px;
padding:1px 8px;margin-left:4px;cursor:pointer}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin:6px 0}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
.grid{stroke:#edf0f3}.axis{stroke:#9aa3ae}.tick{fill:#6b7480}.axis-title{fill:#6b7480;font-weight:600}
.bar-ok,.sw-ok{fill:#5fb985;background:#5fb985}
.bar-refused,.sw-refused{fill:#d62728;background:#d62728}
.bar-reset,.sw-reset{fill:#ff7f0e;background:#ff7f0e}
.bar-timeout,.sw-timeout{fill:#9467bd;background:#9467bd}
.bar-dropped,.sw-dropped{fill:#8c564b;background:#8c564b}
.bar-5xx,.sw-5xx{fill:#e377c2;background:#e377c2}
.bar-other,.sw-other{fill:#7f7f7f;background:#7f7f7f}
.line{fill:none;stroke-width:1.6;stroke-linejoin:round}
.p50{stroke:#2a6fdb}.p99{stroke:#e07b00}.legend-p50{fill:#2a6fdb;font-weight:600}
.legend-p99{fill:#e07b00;font-weight:600}
.fault-window{fill:rgba(214,60,50,.13);pointer-events:none}
.fault-edge{stroke:#d14b3f;stroke-dasharray:3 3;pointer-events:none}
.fault-label{fill:#b3372d;font-weight:600}
.manual .fault-window{fill:rgba(150,60,200,.13)}.manual .fault-edge{stroke:#8a3cc8}
.manual .fault-label{fill:#7a2fb5;font-style:italic}
.lane-label{fill:#3a4350}.alert-label{font-size:10px}
.lane-bg{fill:#f7f8fa}
.state{stroke:#fff;stroke-width:.5}
.state-UP,.sw-UP{fill:#d3ecd9;background:#d3ecd9}
.state-DOWN,.sw-DOWN{fill:#e25c5c;background:#e25c5c}
.state-DRAIN,.sw-DRAIN{fill:#f2b652;background:#f2b652}
.state-MAINT,.sw-MAINT{fill:#9aa4b1;background:#9aa4b1}
.state-NOLB,.sw-NOLB{fill:#b48ed8;background:#b48ed8}
.state-text{fill:#26303c;font-size:10px;font-weight:600;pointer-events:none}
.share{fill:none;stroke:#24527a;stroke-width:1.2}
.share-text{fill:#24527a;font-size:10px}
.alert-pending,.sw-pending{fill:#f4c542;background:#f4c542}
.alert-firing,.sw-firing{fill:#d9534f;background:#d9534f}
.alert-resolved,.sw-resolved{fill:#3c9a5f;background:#3c9a5f}
.reload-accepted{fill:#3c9a5f}.reload-refused{fill:#d9534f}
.abort-line{stroke:#111;stroke-width:1.5;stroke-dasharray:6 3}.abort-label{fill:#111;font-weight:600}
.cursor{stroke:#1d2430;stroke-width:1;visibility:hidden;pointer-events:none}
svg.timeline{cursor:crosshair}
.detail{color:var(--muted);font-size:13px;overflow-wrap:anywhere}
.error-box{background:#fdf3f2;border-left:3px solid var(--fail);padding:8px 12px;margin:10px 0}
.overlay{overflow-x:auto;margin:10px 0 14px}
.series-baseline,.sw-baseline{stroke:#56657a;stroke-dasharray:6 3;background:#56657a}
.series-candidate,.sw-candidate{stroke:#d9480f;background:#d9480f}
.v-valid,.v-improvement,.v-ok{background:var(--pass)}
.v-not-valid,.v-regression,.v-rejected{background:var(--fail)}
.v-warning,.v-not-enough-data,.v-invalid-input,.v-environment-error,.v-off,.v-not-run{background:var(--error)}
.v-no-significant-change{background:#6b7480}
pre.message{background:#fdf3f2;border-left:3px solid var(--fail);padding:8px 12px;margin:10px 0;
white-space:pre-wrap;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
h3{font-size:15px;margin:16px 0 6px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:30px}
)CSS";
}

std::string_view html_script() {
  return R"JS(
(function () {
  'use strict';
  function fmtLatency(s) {
    if (s === null) return '-';
    return s >= 1 ? s.toFixed(2) + ' s' : (s * 1000).toFixed(s < 0.01 ? 2 : 1) + ' ms';
  }
  document.querySelectorAll('.figure').forEach(function (fig) {
    var index = fig.getAttribute('data-scenario');
    var block = document.getElementById('data-' + index);
    if (!block) return;
    var data = JSON.parse(block.textContent);
    var svg = fig.querySelector('svg');
    var cursor = svg.querySelector('.cursor');
    var out = document.getElementById('readout-' + index);
    var cols = data.columns;
    svg.addEventListener('mousemove', function (ev) {
      var ctm = svg.getScreenCTM();
      if (!ctm || !cols.length) return;
      var point = svg.createSVGPoint();
      point.x = ev.clientX;
      point.y = ev.clientY;
      var x = point.matrixTransform(ctm.inverse()).x;
      if (x < data.x0 || x > data.x1) return;
      var t = (x - data.x0) / (data.x1 - data.x0) * data.end_s;
      var lo = 0, hi = cols.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (cols[mid][0] <= t) lo = mid; else hi = mid - 1;
      }
      var c = cols[lo];
      cursor.setAttribute('x1', x);
      cursor.setAttribute('x2', x);
      cursor.style.visibility = 'visible';
      var span = c[1] - c[0];
      var parts = [c[0].toFixed(1) + '-' + c[1].toFixed(1) + ' s',
                   'sent ' + (c[2] / data.bucket_s).toFixed(0) + '/s',
                   'ok ' + (c[3] / data.bucket_s).toFixed(0) + '/s'];
      data.errors.forEach(function (name, k) {
        if (c[4][k] > 0) parts.push(name + ' ' + c[4][k] + (span > data.bucket_s * 1.5 ? ' (max/bucket)' : '/bucket'));
      });
      parts.push('p50 ' + fmtLatency(c[5]), 'p99 ' + fmtLatency(c[6]));
      var shares = data.servers.map(function (s, k) {
        return s + ' ' + Math.round((c[7][k] || 0) * 100) + '%';
      });
      if (shares.length) parts.push('share: ' + shares.join(', '));
      out.textContent = parts.join('  ·  ');
    });
    svg.addEventListener('mouseleave', function () { cursor.style.visibility = 'hidden'; });
  });
  document.querySelectorAll('button[data-zoom]').forEach(function (button) {
    button.addEventListener('click', function () {
      var svg = document.getElementById(button.getAttribute('data-target'));
      var zoom = parseFloat(svg.getAttribute('data-zoom') || '1');
      var step = button.getAttribute('data-zoom');
      zoom = step === 'reset' ? 1 : Math.min(8, Math.max(1, zoom * parseFloat(step)));
      svg.setAttribute('data-zoom', zoom);
      svg.style.width = (zoom * 100) + '%';
    });
  });
})();
)JS";
}

}  // namespace lbchaos::report
