/**
 * Shadow-root styles of <orqestra-bell>. Every colour and size is a CSS custom property so a
 * host page themes the bell from outside (custom properties inherit into the shadow root);
 * finer changes go through ::part().
 */
export declare const bellStyles: string;
/** Bell outline icon (24x24, stroke uses currentColor). */
export declare const bellIcon: string;
