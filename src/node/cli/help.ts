import type { Command } from "./command";
import { SETTINGS, type SettingKey, settingsOf } from "./settingTable";

const BIN = "connext-node";

const FOOTER = [
  "Logs go to stderr, one JSON line per event (readable lines when stderr is a terminal);",
  "stdout carries only the command's output. A .env file in the working directory is read.",
];

/** `connext-node --help`: the commands, and every setting any of them reads. */
export function mainHelp(version: string, commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 3;
  const all = new Set(commands.flatMap((command) => settingsOf(command.name)));
  return [
    `${BIN} ${version}: a state-channel payment node (hub) for Ethereum`,
    "",
    `Usage: ${BIN} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    "",
    "Options:",
    "  -h, --help      this help; after a command, that command's help",
    "  -v, --version   the version",
    "",
    ...settingsSection([...all]),
    "",
    ...FOOTER,
    "",
  ].join("\n");
}

/** `connext-node <command> --help`: what it does, its options and the settings it reads. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.options).flatMap(([flag, option]) =>
    entry(
      `--${flag}${option.placeholder ? ` ${option.placeholder}` : ""}`,
      "",
      option.defaultText,
      option.description,
    ),
  );
  return [
    `${BIN} ${command.name}: ${command.summary}`,
    "",
    `Usage: ${BIN} ${command.name} [options]`,
    "",
    ...command.details,
    "",
    "Options:",
    ...options,
    "  -h, --help",
    "      This help.",
    "",
    ...settingsSection(settingsOf(command.name)),
    "",
    ...FOOTER,
    "",
  ].join("\n");
}

function settingsSection(keys: SettingKey[]): string[] {
  return [
    "Settings (flag, environment variable, default; a flag wins over its variable):",
    ...keys.flatMap((key) => {
      const spec = SETTINGS[key];
      return entry(
        `--${spec.flag} ${spec.placeholder}`,
        spec.env,
        spec.defaultText,
        spec.description,
      );
    }),
  ];
}

function entry(flag: string, env: string, defaultText: string | undefined, description: string) {
  const head = `  ${flag.padEnd(26)} ${env.padEnd(17)}`;
  return [
    `${head} ${defaultText ? `default: ${defaultText}` : ""}`.trimEnd(),
    `      ${description}`,
  ];
}
