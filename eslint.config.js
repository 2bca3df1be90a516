import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Typed rules read one program, tsconfig.dev.json's (src, __tests__, script and the root *.ts files).
    // `project` rather than `projectService`: the project service only finds files named tsconfig.json,
    // and the root tsconfig.json covers src alone because ncc builds dist/ from it.
    languageOptions: { parserOptions: { project: './tsconfig.dev.json', tsconfigRootDir: import.meta.dirname } },
  },
  // The plain JavaScript files (this one) are in no TypeScript program.
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    // Test fakes of async interfaces (a poll, a summary writer, a ground-truth read) are written
    // `async` without awaiting: that is how a throw inside them becomes a rejection, as in the real thing.
    files: ['__tests__/**'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='getInput'][arguments.0.type!='Identifier']",
          message: 'Read inputs only in src/settings.ts.',
        },
      ],
    },
  },
)
