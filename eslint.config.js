// ESLint: the recommended JavaScript and typescript-eslint rules over every workspace, bench and example.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'gatehouse-data/**', '.bench-tmp/**'] },
  js.configs.recommended,
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      // Wire documents are open-ended JSON: `any` at their edges is deliberate and narrow.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Only type imports may be elided under verbatimModuleSyntax: say so.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // `catch {}` is how a best-effort clean-up says so.
      // A late-bound `let` read by closures made before it is set is not a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
);
