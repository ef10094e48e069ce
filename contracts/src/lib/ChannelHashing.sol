// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Balance, CoreChannelState, CoreTransferState, WithdrawData} from "../interfaces/Types.sol";

/// @title ChannelHashing
/// @notice EIP-712 struct hashes of the channel's signed types (DESIGN §4.3). The TypeScript
/// protocol core encodes the same shapes; the channel exposes these as views so both can be
/// compared byte for byte.
library ChannelHashing {
    bytes32 internal constant BALANCE_TYPEHASH = keccak256("Balance(address[2] to,uint256[2] amount)");

    bytes32 internal constant CORE_CHANNEL_STATE_TYPEHASH = keccak256(
        "CoreChannelState(address channelAddress,address alice,address bob,address[] assetIds,Balance[] balances,uint256[] processedDepositsA,uint256[] processedDepositsB,uint256[] defundNonces,uint256 timeout,uint256 nonce,bytes32 merkleRoot)Balance(address[2] to,uint256[2] amount)"
    );

    bytes32 internal constant CORE_TRANSFER_STATE_TYPEHASH = keccak256(
        "CoreTransferState(address channelAddress,bytes32 transferId,address transferDefinition,address initiator,address responder,address assetId,Balance balance,uint256 transferTimeout,bytes32 initialStateHash)Balance(address[2] to,uint256[2] amount)"
    );

    bytes32 internal constant WITHDRAW_DATA_TYPEHASH = keccak256(
        "WithdrawData(address channelAddress,address assetId,address recipient,uint256 amount,uint256 nonce)"
    );

    bytes32 internal constant TRANSFER_RESOLUTION_TYPEHASH =
        keccak256("TransferResolution(bytes32 transferId,bytes encodedResolver)");

    function hashBalance(Balance calldata balance) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                BALANCE_TYPEHASH, keccak256(abi.encodePacked(balance.to)), keccak256(abi.encodePacked(balance.amount))
            )
        );
    }

    /// @dev An array of structs hashes as the keccak of its members' struct hashes.
    function hashBalances(Balance[] calldata balances) internal pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](balances.length);
        for (uint256 i; i < balances.length; ++i) {
            hashes[i] = hashBalance(balances[i]);
        }
        return keccak256(abi.encodePacked(hashes));
    }

    function hashChannelState(CoreChannelState calldata ccs) internal pure returns (bytes32) {
        // Encoded in three parts to keep the stack shallow; the bytes are the plain
        // EIP-712 encoding of the struct.
        return keccak256(
            bytes.concat(
                abi.encode(CORE_CHANNEL_STATE_TYPEHASH, ccs.channelAddress, ccs.alice, ccs.bob),
                abi.encode(
                    keccak256(abi.encodePacked(ccs.assetIds)),
                    hashBalances(ccs.balances),
                    keccak256(abi.encodePacked(ccs.processedDepositsA)),
                    keccak256(abi.encodePacked(ccs.processedDepositsB)),
                    keccak256(abi.encodePacked(ccs.defundNonces))
                ),
                abi.encode(ccs.timeout, ccs.nonce, ccs.merkleRoot)
            )
        );
    }

    function hashTransferState(CoreTransferState calldata cts) internal pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    CORE_TRANSFER_STATE_TYPEHASH,
                    cts.channelAddress,
                    cts.transferId,
                    cts.transferDefinition,
                    cts.initiator,
                    cts.responder
                ),
                abi.encode(cts.assetId, hashBalance(cts.balance), cts.transferTimeout, cts.initialStateHash)
            )
        );
    }

    function hashWithdrawData(WithdrawData calldata wd) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(WITHDRAW_DATA_TYPEHASH, wd.channelAddress, wd.assetId, wd.recipient, wd.amount, wd.nonce)
            );
    }

    function hashTransferResolution(bytes32 transferId, bytes calldata encodedResolver)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(TRANSFER_RESOLUTION_TYPEHASH, transferId, keccak256(encodedResolver)));
    }
}
