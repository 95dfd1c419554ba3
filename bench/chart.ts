/**
 * Draws docs/bench-chart.svg from a results JSON: throughput, latency and memory, each bar beside
 * the Kafka Streams figure where #15 gives one. Usage: node bench/chart.ts FILE [OUT]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { valueAt } from './targets.ts';

interface Bar {
  readonly label: string;
  readonly value: number | undefined;
  /** Kafka Streams' figure for the same thing, drawn in grey below. */
  readonly peer?: { readonly value: number; readonly text: string };
}

interface Panel {
  readonly title: string;
  readonly bars: readonly Bar[];
}

/** The panels of the chart, from a report's `results`. */
export function panels(results: Readonly<Record<string, unknown>>): Panel[] {
  const at = (path: string) => valueAt(results, path);
  return [
    {
      title: 'Throughput (commands/s, higher is better)',
      bars: [
        {
          label: 'processor drain',
          value: at('drainCommandsPerSec'),
          peer: { value: 38_000, text: '~38,000' },
        },
        { label: 'null processor', value: at('nullProcessorPerSec') },
        { label: 'gateway client', value: at('commandsPerSec') },
        { label: 'HTTP (roles split)', value: at('httpCommandsPerSec') },
      ],
    },
    {
      title: 'Latency at 1,000 commands/s (ms, lower is better)',
      bars: [
        { label: 'send → result p50', value: at('latencyAt1kMs.p50'), peer: { value: 80, text: '~80' } },
        { label: 'send → result p99', value: at('latencyAt1kMs.p99'), peer: { value: 390, text: '150–390' } },
        { label: 'visible in projection p99', value: at('visibilityLatencyMs.p99') },
      ],
    },
    {
      title: 'Memory with 100,000 aggregates (MB RSS, lower is better)',
      bars: [{ label: 'processor', value: at('processorRssMb'), peer: { value: 390, text: '~390 (JVM)' } }],
    },
  ];
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const format = (value: number) => value.toLocaleString('en-GB', { maximumFractionDigits: 1 });

/** The chart as an SVG document. */
export function chartSvg(results: Readonly<Record<string, unknown>>): string {
  const width = 760;
  const labelWidth = 200;
  const barArea = width - labelWidth - 120;
  const parts: string[] = [];
  let y = 20;
  for (const panel of panels(results)) {
    parts.push(`<text x="10" y="${y + 14}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += 26;
    const max = Math.max(1, ...panel.bars.flatMap((bar) => [bar.value ?? 0, bar.peer?.value ?? 0]));
    for (const bar of panel.bars) {
      const length = ((bar.value ?? 0) / max) * barArea;
      parts.push(`<text x="10" y="${y + 13}">${escapeXml(bar.label)}</text>`);
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="16" fill="#2f6fb0"/>`,
      );
      const text = bar.value === undefined ? 'not measured' : `Sluice ${format(bar.value)}`;
      parts.push(`<text x="${labelWidth + length + 6}" y="${y + 13}">${text}</text>`);
      y += 20;
      if (bar.peer) {
        const peer = (bar.peer.value / max) * barArea;
        parts.push(
          `<rect x="${labelWidth}" y="${y}" width="${peer.toFixed(1)}" height="12" fill="#aaaaaa"/>`,
        );
        parts.push(
          `<text x="${labelWidth + peer + 6}" y="${y + 11}" fill="#666">Kafka Streams ${escapeXml(bar.peer.text)}</text>`,
        );
        y += 18;
      }
      y += 4;
    }
    y += 12;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">`,
    '<title>Sluice benchmark figures beside Kafka Streams: throughput, latency and memory</title>',
    `<rect width="${width}" height="${y}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

if (import.meta.main) {
  const [file, out = new URL('../docs/bench-chart.svg', import.meta.url).pathname] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/chart.ts FILE [OUT]');
  const report = JSON.parse(await readFile(file, 'utf8')) as { results: Record<string, unknown> };
  await writeFile(out, chartSvg(report.results));
  console.error(`wrote ${out}`);
}
