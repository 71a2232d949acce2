/**
 * ws reads `send()` options as `{ ...defaults, ...options }`: a value that is not an object (`null`, `10`, `true`,
 * `'x'`) adds nothing, and only an object's own enumerable properties override a default. These helpers give the
 * same answers without building that object on every send.
 */
import type { SendOptions } from '../io/sender';

const isOwnEnumerable = Object.prototype.propertyIsEnumerable;

/** The options object, or undefined when `options` is not one (then every default applies). */
export function sendOptionsObject(options: unknown): SendOptions | undefined {
  return typeof options === 'object' && options !== null ? (options as SendOptions) : undefined;
}

/** One flag: the option's truthiness when the object has it as its own enumerable property, else `fallback`. */
export function sendOption(options: SendOptions | undefined, name: keyof SendOptions, fallback: boolean): boolean {
  // `in` (an inline-cached lookup) settles the usual case, a name the object lacks, without a call.
  return options !== undefined && name in options && isOwnEnumerable.call(options, name) ? Boolean(options[name]) : fallback;
}
