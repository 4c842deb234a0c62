// The error of a config.json that cannot be loaded as given, in its own file so that the config
// reader and the value checks it calls both import it (the imports run one way).
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}
