/** The few lines `skiff start` prints on a terminal once it is ready: where it is and how to use it. */
export interface BannerInfo {
  version: string;
  bootstrap: string;
  /** Absolute path, or null for a memory broker. */
  dataDir: string | null;
  /** The console (--http-port), when served. */
  httpUrl?: string | undefined;
}

export function startupBanner(info: BannerInfo, color: boolean): string {
  const bold = (t: string): string => (color ? `\x1b[1m${t}\x1b[0m` : t);
  const dim = (t: string): string => (color ? `\x1b[2m${t}\x1b[0m` : t);
  return [
    '',
    `${bold(`Skiff ${info.version}`)}, a broker that speaks the Apache Kafka protocol`,
    `  listening   ${bold(info.bootstrap)}`,
    `  data        ${info.dataDir ?? 'in memory (nothing is written to disk)'}`,
    `  connect     --bootstrap-server ${info.bootstrap}  ${dim('(Kafka CLI tools, the Java client)')}`,
    `              kcat -b ${info.bootstrap}  ${dim(`or kafkajs: brokers: ['${info.bootstrap}']`)}`,
    ...(info.httpUrl !== undefined ? [`  console     ${info.httpUrl}`] : []),
    `  stop        Ctrl+C`,
    '',
    '',
  ].join('\n');
}
