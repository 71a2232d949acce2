/**
 * Default values of fields that most instances never write, put on the class's prototype: an instance gets an own
 * property (a slot of memory) only once it writes one. Reads see the default until then.
 */
export function setPrototypeDefaults(prototype: object, defaults: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(defaults)) {
    Object.defineProperty(prototype, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
