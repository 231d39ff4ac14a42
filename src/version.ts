/** The action's version, recorded in every manifest; a test keeps it equal to package.json's. */
export const ACTION_VERSION = '0.1.0'
