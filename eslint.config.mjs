// ESLint for the device code (make lint; tools/eslint holds the pinned packages).
import js from "./tools/eslint/node_modules/@eslint/js/src/index.js";
import globals from "./tools/eslint/node_modules/globals/index.js";

export default [
  js.configs.recommended,
  {
    files: ["pwa/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "max-len": ["error", { code: 180, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: ["pwa/sw.js", "pwa/assets/push-sw.js", "pwa/push-sw.js"],
    // sw.js is served with its precache list written in for __PRECACHE__ (server/pwa).
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.serviceworker, __PRECACHE__: "readonly" },
    },
  },
];
