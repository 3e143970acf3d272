import { lazy, Suspense } from 'react';
import type { CodeEditorProps } from './code-editor.tsx';

const CodeEditor = lazy(() => import('./code-editor.tsx'));

/** The CodeMirror editor, loaded on first use; a read-only preview of the text shows meanwhile. */
export function LazyEditor(props: CodeEditorProps) {
  return (
    <Suspense
      fallback={
        <pre className="code-editor loading" aria-busy="true">
          {props.value || ' '}
        </pre>
      }
    >
      <CodeEditor {...props} />
    </Suspense>
  );
}
