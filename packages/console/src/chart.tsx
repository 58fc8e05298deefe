import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
  values: number[];
}

/** A uPlot line chart that follows its container's width. */
export function Chart({ t, series, title }: { t: number[]; series: Series[]; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: 260,
        title,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false } }))],
        axes: [
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        ],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      [t, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [t, series, title]);
  return <div ref={box} class="chart" />;
}
