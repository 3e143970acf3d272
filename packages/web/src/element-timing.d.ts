// The Element Timing API's attribute (https://wicg.github.io/element-timing/), which React passes to
// the DOM as is but its types do not name: the browser reports when the marked element was painted.
import 'react';

declare module 'react' {
  interface HTMLAttributes<T> {
    elementtiming?: string;
  }
}
