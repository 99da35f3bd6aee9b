// The environment file template: every setting, commented out, at its default.
import { DEFAULT_ENV_FILE, ENV_FILE_VARIABLE, settingDefinitions, type SettingDefinition } from "../settings";

/** A value as parseEnvFile reads it back: quoted when it has spaces, quotes or a leading #. */
function envValue(value: string): string {
  return /[\s"'#]/.test(value) ? `"${value}"` : value;
}

function entry(def: SettingDefinition): string {
  return `# ${def.help} [${def.type}, flag ${def.flag}]\n#${def.env}=${envValue(def.default)}\n`;
}

export function envTemplate(): string {
  const header = [
    `# crio-lxc settings (${DEFAULT_ENV_FILE}, or the file ${ENV_FILE_VARIABLE} names), read on every call.`,
    "# KEY=VALUE lines; # comments and blank lines are ignored. Precedence:",
    "# command-line flag > process environment > this file > built-in default.",
    "# Every setting is listed at its default: uncomment a line to change it.",
  ];
  return `${header.join("\n")}\n\n${settingDefinitions.map(entry).join("\n")}`;
}
