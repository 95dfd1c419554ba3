// The order's value types, free of imports: the web app type-checks against them too (views.ts).

/** An order line as recorded; prices are integer pence. */
export type OrderItem = { readonly name: string; readonly price: number; readonly quantity: number };

export type OrderStatus = 'created' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled';
