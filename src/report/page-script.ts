/** The script of the page (plain browser JavaScript, inlined): draws each chart spec with uPlot. */
export const pageScript = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
  function fmtX(kind, v) {
    if (kind !== 'time') return String(v);
    if (Math.abs(v) < 120) return Math.round(v * 10) / 10 + 's';
    var s = Math.round(v);
    if (s < 7200) return Math.floor(s / 60) + 'm' + (s % 60 ? (s % 60) + 's' : '');
    return Math.floor(s / 3600) + 'h' + (Math.floor(s / 60) % 60 ? (Math.floor(s / 60) % 60) + 'm' : '');
  }
  function marksPlugin(marks) {
    return {
      hooks: {
        draw: function (u) {
          var ctx = u.ctx;
          marks.forEach(function (m) {
            var x = u.valToPos(m.x, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.save();
            ctx.strokeStyle = '#b91c1c';
            ctx.setLineDash([4, 4]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = '#b91c1c';
            ctx.font = 12 * devicePixelRatio + 'px sans-serif';
            ctx.fillText(m.label, x + 4, u.bbox.top + 14 * devicePixelRatio);
            ctx.restore();
          });
        },
      },
    };
  }
  data.charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el) return;
    function unitsOf(right) {
      return c.series
        .filter(function (s) { return !!s.right === right; })
        .map(function (s) { return s.unit; })
        .filter(function (u, i, all) { return all.indexOf(u) === i; })
        .join(' / ');
    }
    var leftUnit = unitsOf(false);
    var rightUnit = unitsOf(true);
    var series = [{ label: c.xLabel, value: function (u, v) { return v == null ? '-' : fmtX(c.xKind, v); } }].concat(
      c.series.map(function (s, i) {
        return {
          label: s.label + ' (' + s.unit + ')',
          stroke: colors[i % colors.length],
          width: 1.5,
          scale: s.right ? 'right' : 'left',
          spanGaps: false,
          points: { show: !!c.points || c.x.length <= 2, size: 6, fill: colors[i % colors.length] },
          paths: c.points ? function () { return null; } : undefined,
        };
      }),
    );
    var axes = [
      { values: function (u, vals) { return vals.map(function (v) { return fmtX(c.xKind, v); }); } },
      { scale: 'left', label: leftUnit },
    ];
    if (rightUnit) axes.push({ scale: 'right', side: 1, label: rightUnit, grid: { show: false } });
    var opts = {
      title: c.title,
      width: Math.max(320, Math.min(el.clientWidth || 900, 1100)),
      height: 240,
      series: series,
      axes: axes,
      // one point: a range around it (uPlot's auto range for a single x is arbitrary)
      scales: {
        x: c.x.length === 1 ? { time: false, range: [c.x[0] - 1, c.x[0] + 1] } : { time: false },
        left: { auto: true },
        right: { auto: true },
      },
      legend: { live: true },
      plugins: c.marks && c.marks.length ? [marksPlugin(c.marks)] : [],
    };
    new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
  });
  document.body.setAttribute('data-charts-drawn', String(data.charts.length));
})();
`;
