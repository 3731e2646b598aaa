import type { CodegenConfig } from '@graphql-codegen/cli';

// Types for every operation in src/, from Agora's schema. Run from this
// folder (`npm run codegen` here, or the root `npm run codegen`, which also
// checks that the committed src/gql/ is current).
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false },
        nonOptionalTypename: true,
        skipTypeNameForRoot: true,
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;
