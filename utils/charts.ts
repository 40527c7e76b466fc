import { BarElement, CategoryScale, Chart, LinearScale, LineElement, PointElement, Tooltip, type ChartOptions } from 'chart.js'

// Only what our line and bar charts draw: chart.js tree-shakes the rest away. The legend is HTML (ChartsLegend):
// chart.js's legend plugin cost a few KB on pages at the edge of their JS budget. So did the Filler plugin (2.5 KB
// gzip, the tint under a lone line): it made room for every chart's text summary and data table.
Chart.register(CategoryScale, LinearScale, PointElement, LineElement, BarElement, Tooltip)

/** Series colours (Tailwind 500s): readable on both the light and the dark background. */
export const SERIES_COLORS = ['#10b981', '#3b82f6', '#f59e0b', '#a855f7', '#ef4444', '#14b8a6', '#ec4899', '#84cc16']

export type ChartValueFormat = 'percent' | 'duration' | 'count'

function formatChartValue(v: number, format: ChartValueFormat): string {
  if (format === 'percent') return formatPercent(v)
  if (format === 'duration') return formatDuration(v)
  return Math.round(v).toLocaleString('en')
}

/** Axes, grid and tooltip that follow the colour mode. */
export function baseChartOptions(dark: boolean, format: ChartValueFormat, opts: { stacked?: boolean, yMax?: number } = {}): ChartOptions<'line' | 'bar'> {
  const text = dark ? '#a1a1aa' : '#71717a'
  const grid = dark ? 'rgba(255,255,255,0.08)' : 'rgba(0,0,0,0.07)'
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      tooltip: { callbacks: { label: ctx => `${ctx.dataset.label ? `${ctx.dataset.label}: ` : ''}${ctx.parsed.y == null ? '—' : formatChartValue(ctx.parsed.y, format)}` } },
    },
    scales: {
      x: {
        stacked: opts.stacked,
        ticks: { color: text, maxRotation: 0, autoSkipPadding: 16, font: { size: 11 } },
        grid: { display: false },
        border: { color: grid },
      },
      y: {
        stacked: opts.stacked,
        beginAtZero: format !== 'percent',
        max: opts.yMax,
        ticks: { color: text, font: { size: 11 }, maxTicksLimit: 5, precision: format === 'count' ? 0 : undefined, callback: v => formatChartValue(Number(v), format) },
        grid: { color: grid },
        border: { display: false },
      },
    },
  }
}

/**
 * What a chart shows, in one sentence for a screen reader (the canvas's aria-label): the span of the x axis and,
 * per series, its latest value and its range.
 */
export function chartSummary(
  title: string, labels: string[], series: { label: string, data: (number | null)[] }[], format: ChartValueFormat,
): string {
  const span = labels.length ? ` from ${labels[0]} to ${labels.at(-1)}` : ''
  const parts = series.map((s) => {
    const values = s.data.filter((v): v is number => v != null)
    if (!values.length) return `${s.label}: no data`
    const f = (v: number) => formatChartValue(v, format)
    return `${s.label}: latest ${f(values.at(-1)!)}, lowest ${f(Math.min(...values))}, highest ${f(Math.max(...values))}`
  })
  return `${title}${span}. ${parts.join('; ')}. The table after the chart lists every value.`
}

/** One value of a chart's data table, or a dash for a gap. */
export const chartCell = (v: number | null | undefined, format: ChartValueFormat) => v == null ? '—' : formatChartValue(v, format)
