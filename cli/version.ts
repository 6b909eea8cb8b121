/** The CLI's own version, kept beside the package version. */
export const CLI_VERSION = '0.1.0';
